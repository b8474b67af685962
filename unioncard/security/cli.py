"""`flask keys rotate`: move every encrypted value and file onto the active data key."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from .rotation import rotate

keys = AppGroup("keys", help="个人信息加密密钥")


@keys.command("rotate")
def rotate_command() -> None:
    """Re-encrypt personal data still on an older key id (run after changing DATA_KEY_ID)."""
    for name, count in rotate().items():
        click.echo(f"{name}: 已重新加密 {count} 条")
