"""WeChat subscribe messages (订阅消息) to members when their card or insurance changes."""
