"""Member insurance (工会会员专享基本保障)."""
