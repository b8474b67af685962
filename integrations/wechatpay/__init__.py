"""WeChat Pay API v3 (微信支付): the client, the inbound notification routes, the sandbox."""
