"""WeChat Pay (微信支付) for members' personal insurance: orders, notifications, refunds."""
