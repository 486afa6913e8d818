"""The diner registry: import all or nothing with row-by-row errors, edits as revisions, CLI and API."""
from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from canteen.core.errors import Conflict, Forbidden, InvalidInput
from canteen.core.tabular import ImportFailed
from canteen.diners.importer import import_diners_file
from canteen.diners.models import Diner
from canteen.diners.services import create_diner, update_diner


def xlsx(rows: list[list[object]]) -> bytes:
    """A workbook with a title row above the header, as meal-card systems export it."""
    book = Workbook()
    sheet = book.active
    sheet.append(["餐卡系统导出 2024-03-01"])
    for row in rows:
        sheet.append(row)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def stored(ctx) -> dict[str, tuple[str, str, bool, int]]:
    ctx.expire_all()
    return {diner.card_no: (diner.name, diner.department, diner.active, len(diner.revisions))
            for diner in ctx.scalars(select(Diner))}


def test_import_adds_new_and_revises_changed_diners(ctx, settings, people, add_diner):
    add_diner("1001", "张三", "办公室")
    add_diner("1002", "李四", "财务科")
    content = xlsx([["卡号", "姓名", "部门", "状态"],
                    [1001, "张三", "办公室", "在用"],       # unchanged (a number cell, as Excel keeps it)
                    ["1002", "李四", "人事科", "是"],        # moved department
                    ["1003", "王五", "信息中心", "停用"],    # new, inactive
                    [None, None, None, None]])
    result = import_diners_file(ctx, settings, people["admin"], "export.xlsx", content)
    ctx.commit()
    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    assert stored(ctx) == {"1001": ("张三", "办公室", True, 1), "1002": ("李四", "人事科", True, 2),
                           "1003": ("王五", "信息中心", False, 1)}
    revision = ctx.scalar(select(Diner).where(Diner.card_no == "1002")).revisions[-1]
    assert revision.source == "import" and "export.xlsx" in revision.reason
    assert revision.created_by_id == people["admin"].id


def test_import_is_all_or_nothing_with_every_problem_listed(ctx, settings, people, add_diner):
    add_diner("1001", "张三", "办公室")
    content = ("card_no,name,department,active\n"
               "1001,张三丰,办公室,yes\n"       # fine on its own
               ",无卡号,办公室,yes\n"            # row 3: no card
               "1004,,办公室,yes\n"              # row 4: no name
               "10 05,赵六,办公室,yes\n"         # row 5: bad card
               "1006,钱七,办公室,maybe\n"        # row 6: bad flag
               "1001,重复,办公室,yes\n").encode()  # row 7: card twice in the file
    with pytest.raises(ImportFailed) as failed:
        import_diners_file(ctx, settings, people["admin"], "export.csv", content)
    ctx.rollback()
    assert {(problem.row, problem.field) for problem in failed.value.problems} == {
        (3, "card_no"), (4, "name"), (5, "card_no"), (6, "active"), (7, "card_no")}
    assert stored(ctx) == {"1001": ("张三", "办公室", True, 1)}


@pytest.mark.parametrize("name, content, field", [
    ("export.txt", b"card_no,name\n1,a\n", "file"),
    ("export.csv", b"number,person\n1,a\n", "header"),
    ("export.csv", b"card_no,name\n", "file"),
    ("export.xlsx", b"not a workbook", "file"),
])
def test_unreadable_files_are_refused(ctx, settings, people, name, content, field):
    with pytest.raises(ImportFailed) as failed:
        import_diners_file(ctx, settings, people["admin"], name, content)
    assert failed.value.problems[0].field == field


def test_a_file_without_the_active_column_leaves_deactivated_cards_alone(ctx, settings, people, add_diner):
    add_diner("1001", "张三", "办公室", active=False)
    result = import_diners_file(ctx, settings, people["admin"], "e.csv", "卡号,姓名,部门\n1001,张三,办公室\n".encode())
    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)
    assert stored(ctx)["1001"][2] is False


def test_only_admins_import_or_edit(ctx, settings, people, add_diner):
    diner = add_diner("1001")
    for role in ("reviewer", "discipline", "manager", "viewer", "contractor"):
        with pytest.raises(Forbidden):
            import_diners_file(ctx, settings, people[role], "e.csv", b"card_no,name\n1,a\n")
        with pytest.raises(Forbidden):
            update_diner(ctx, people[role], diner, {"name": "x", "reason": "y"})


def test_edits_are_revisions_with_a_reason(ctx, people, add_diner):
    diner = add_diner("1001", "张三", "办公室")
    with pytest.raises(InvalidInput) as error:
        update_diner(ctx, people["admin"], diner, {"name": "张三", "department": "财务科"})
    assert "reason" in error.value.fields
    assert update_diner(ctx, people["admin"], diner, {"name": "张三", "department": "财务科", "active": True,
                                                      "reason": "调岗"})
    assert not update_diner(ctx, people["admin"], diner, {"name": "张三", "department": "财务科", "active": True,
                                                          "reason": "again"})
    ctx.commit()
    assert [(item.number, item.department, item.reason) for item in diner.revisions] == [
        (1, "办公室", None), (2, "财务科", "调岗")]
    with pytest.raises(Conflict):
        create_diner(ctx, people["admin"], {"card_no": "1001", "name": "别人"})


@pytest.mark.usefixtures("schema_stamped")
def test_cli_import_diners(runner, tmp_path, ctx):
    good = tmp_path / "cards.csv"
    good.write_text("卡号,姓名,部门\n2001,周八,办公室\n2002,吴九,法规科\n", encoding="utf-8")
    result = runner.invoke(args=["import-diners", str(good)])
    assert result.exit_code == 0, result.output
    assert "2 new" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("card_no,name\n2003,\n", encoding="utf-8")
    result = runner.invoke(args=["import-diners", str(bad), "--lang", "en"])
    assert result.exit_code == 1
    assert "row 2: name: required" in result.output
    assert set(stored(ctx)) == {"2001", "2002"}


def test_api_create_and_search(app, api_as, counts):
    admin = api_as("admin")
    created = admin.post("/diners", json={"card_no": "3001", "name": "郑十", "department": "档案室"})
    assert created.status_code == 201
    assert created.get_json() == {"card_no": "3001", "name": "郑十", "department": "档案室", "active": True}
    assert admin.post("/diners", json={"card_no": "3001", "name": "again"}).status_code == 409
    bad = admin.post("/diners", json={"card_no": "bad card!", "name": ""})
    assert bad.status_code == 422 and {"card_no", "name"} <= bad.get_json()["fields"].keys()
    admin.post("/diners", json={"card_no": "3002", "name": "郑一", "department": "办公室"})
    found = api_as("reviewer").get("/diners?q=郑").get_json()["diners"]
    assert [item["card_no"] for item in found] == ["3002", "3001"]
    assert [item["card_no"] for item in admin.get("/diners?q=3001").get_json()["diners"]] == ["3001"]
    assert api_as("contractor").get("/diners?q=郑").status_code == 403
    assert api_as("reviewer").post("/diners", json={"card_no": "3003", "name": "x"}).status_code == 403
    assert counts()["diner"] == 2
