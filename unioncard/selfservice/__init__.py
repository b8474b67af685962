"""会员自助 (mini-program): WeChat users and their tokens, identity binding, joining a union,
the personal card application and the Idempotency-Key of the member's POSTs."""
