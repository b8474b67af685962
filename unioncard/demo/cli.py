"""`flask demo seed` and `flask demo banner`: the demo world of `make run`."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from ..accounts.models import ROLE_NAMES
from ..extensions import db
from ..members.idcard import today_in_china
from .seed import seed_demo

demo = AppGroup("demo", help="演示数据")


@demo.command("seed")
@click.option("--members", default=300, show_default=True, help="演示会员人数")
def seed(members: int) -> None:
    """Load the demo org tree, accounts, branches and members (once)."""
    logins = seed_demo(current_app.config["DEMO_PASSWORD"], today=today_in_china(), members=members)
    db.session.commit()
    click.echo(
        "演示数据已存在，未重复载入" if logins is None else f"已载入演示数据：{members} 名会员"
    )


@demo.command("city")
@click.option("--members", default=100_000, show_default=True, help="全市会员人数")
def city(members: int) -> None:
    """Build a whole city (16 districts, 200 secondary unions, one union per 20 members)."""
    import time

    from .city import build_city, settle

    started = time.perf_counter()
    try:
        levels = build_city(
            members, today=today_in_china(), password=current_app.config["DEMO_PASSWORD"]
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    settle()
    click.echo(f"已建成演示城市：{members:,} 名会员，用时 {time.perf_counter() - started:.0f} 秒")
    for level, org_id in levels.accounts().items():
        click.echo(f"  city_{level:<10} 工会 id {org_id}")


@demo.command("banner")
@click.option("--port", default=5000)
def banner(port: int) -> None:
    """Print the URLs and the demo logins."""
    from sqlalchemy import select

    from ..accounts.models import StaffAccount

    base = f"http://127.0.0.1:{port}"
    click.echo("\n工会会员服务卡平台（演示模式：SQLite，后台任务在本进程内运行）")
    click.echo(f"  管理控制台  {base}/console/   ← 用下面的演示账号登录")
    click.echo(f"  接口文档    {base}/docs")
    click.echo(f"  OpenAPI     {base}/openapi.json")
    click.echo(f"  管理端接口  {base}/api/admin/v1/...")
    click.echo(f"\n演示账号（密码均为 {current_app.config['DEMO_PASSWORD']}）：")
    for account in db.session.scalars(select(StaffAccount).order_by(StaffAccount.id)):
        org = account.org.name if account.org else "-"
        click.echo(f"  {account.username:<14} {ROLE_NAMES[account.role.value]:<5} {org}")
    click.echo("")
