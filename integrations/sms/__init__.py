"""SMS (短信): the Tencent Cloud SMS client and its loopback sandbox."""
