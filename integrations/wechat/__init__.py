"""WeChat (微信) for the mini-program: login (code2Session), the phone number and subscribe
messages through ``client.WeChatClient``; ``sandbox`` is its loopback double."""
