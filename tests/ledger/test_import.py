"""Importing historical ledgers from .xlsx and .csv: all rows or none, re-imports skipped, CLI, web page."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select, text

from canteen.auth.models import User
from canteen.core.errors import Forbidden
from canteen.core.tabular import ImportFailed, Problem
from canteen.ledger.diners import set_diner_count
from canteen.ledger.importer import MAX_ROWS, ImportResult, import_ledger_file
from canteen.ledger.models import DinerCount, WasteEntry

HEADER = ["canteen", "date", "meal", "stream", "weight", "unit", "dish", "note", "diners"]
HEADER_ZH = ["餐厅", "日期", "餐次", "类别", "重量", "单位", "菜品", "备注", "就餐人数"]


def xlsx_bytes(rows, title=None):
    """A workbook whose active sheet holds ``rows`` (optionally below a title row and a blank row)."""
    book = Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
        sheet.append([])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, encoding="utf-8"):
    """CSV text of ``rows`` in ``encoding`` (utf-8-sig adds the BOM Excel writes)."""
    text = io.StringIO(newline="")
    csv.writer(text).writerows(rows)
    return text.getvalue().encode(encoding)


@pytest.fixture
def run_import(session, settings, admin):
    """``run_import("x.csv", content)``: import as ``actor`` (the admin by default) and commit on success."""
    def run(filename, content, actor=None):
        try:
            result = import_ledger_file(session, settings, actor or admin, filename, content)
        except (ImportFailed, Forbidden):
            session.rollback()
            raise
        session.commit()
        return result

    return run


def problems_of(run_import, filename, content, actor=None):
    """The problems an import reports (it must fail)."""
    with pytest.raises(ImportFailed) as caught:
        run_import(filename, content, actor)
    return caught.value.problems


def entries(session):
    """Every stored entry as (canteen, day, meal, stream, grams), in id order."""
    session.rollback()  # what the database holds, as a fresh transaction sees it
    return [(e.canteen.code, e.day, e.meal.code, e.stream.code, e.weight_g)
            for e in session.scalars(select(WasteEntry).order_by(WasteEntry.id))]


def counts(session):
    """Every stored diner count as (day, meal, count)."""
    session.rollback()
    return sorted((c.day, c.meal.code, c.count) for c in session.scalars(select(DinerCount)))


GOOD_ROWS = [
    HEADER,
    ["zonghe", datetime(2021, 7, 1), "lunch", "plate", 12.5, "kg", "米饭", "after rain", None],
    ["zonghe", "2021/7/1", "dinner", "prep", 9, "jin", None, None, None],
    ["综合办公区餐厅", "2021-07-02", "午餐", "回收处剩餐", "750", "g", None, None, None],
    ["zonghe", date(2021, 7, 1), "lunch", None, None, None, None, None, 480],
]


def test_an_xlsx_ledger_is_imported(session, run_import, admin):
    result = run_import("July 2021.XLSX", xlsx_bytes(GOOD_ROWS))
    assert result == ImportResult(entries=3, diner_counts=1, skipped=0)
    assert entries(session) == [("zonghe", date(2021, 7, 1), "lunch", "plate", 12_500),
                                ("zonghe", date(2021, 7, 1), "dinner", "prep", 4_500),
                                ("zonghe", date(2021, 7, 2), "lunch", "plate", 750)]
    assert counts(session) == [(date(2021, 7, 1), "lunch", 480)]
    stored = session.scalars(select(WasteEntry).order_by(WasteEntry.id)).all()
    assert {entry.source for entry in stored} == {"import"}
    assert {entry.created_by_id for entry in stored} == {admin.id}
    assert (stored[0].dish.name, stored[0].note) == ("米饭", "after rain")
    assert [entry.client_id.rsplit(":", 1)[1] for entry in stored] == ["2", "3", "4"]
    assert all(entry.client_id.startswith("imp:") and len(entry.client_id.split(":")[1]) == 16
               for entry in stored)
    count = session.scalars(select(DinerCount)).one()
    assert [rev.source for rev in count.revisions] == ["import"]


def test_a_title_above_the_header_is_allowed_and_rows_keep_their_numbers(session, run_import):
    rows = [HEADER, ["zonghe", "2021-07-01", "lunch", "plate", "-1"]]
    problems = problems_of(run_import, "ledger.xlsx", xlsx_bytes(rows, title="综合办公区餐厅 餐厨垃圾台账"))
    # Title on row 1, a blank row 2, the header on row 3: the bad row is row 4.
    assert problems == [Problem(4, "weight", "must be more than zero")]
    assert run_import("ledger.xlsx", xlsx_bytes(GOOD_ROWS, title="台账")).entries == 3


def test_excel_serial_dates_are_read(session, run_import):
    rows = [HEADER[:5], ["zonghe", 44378, "lunch", "plate", 1]]  # 44378 is 2021-07-01
    run_import("serial.xlsx", xlsx_bytes(rows))
    assert entries(session)[0][1] == date(2021, 7, 1)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_a_csv_with_chinese_headers_is_imported(session, run_import, encoding):
    rows = [HEADER_ZH,
            ["综合办公区餐厅", "2021/7/1", "午餐", "回收处剩餐", "10", "斤", "红烧鱼", "备注一", ""],
            ["八大街综合楼餐厅", "2021年7月2日", "晚餐", "粗加工厨余", "2.5", "千克", "", "", ""],
            ["badajie", "2021-07-02", "dinner", "", "", "", "", "", "180"]]
    result = run_import("台账.csv", csv_bytes(rows, encoding))
    assert result == ImportResult(entries=2, diner_counts=1, skipped=0)
    assert entries(session) == [("zonghe", date(2021, 7, 1), "lunch", "plate", 5_000),
                                ("badajie", date(2021, 7, 2), "dinner", "prep", 2_500)]
    assert counts(session) == [(date(2021, 7, 2), "dinner", 180)]
    assert session.scalars(select(WasteEntry).order_by(WasteEntry.id)).first().dish.name == "红烧鱼"


def test_the_unit_defaults_to_kg(session, run_import):
    run_import("no-unit.csv", csv_bytes([["canteen", "date", "meal", "stream", "weight"],
                                         ["zonghe", "2021-07-01", "lunch", "plate", "3.25"]]))
    assert entries(session)[0][4] == 3_250


def test_one_bad_row_stops_the_whole_file(session, run_import):
    rows = [HEADER,
            ["zonghe", "2021-07-01", "lunch", "plate", "12", "kg", "", "", ""],
            ["zonghe", "2021-07-01", "lunch", "plate", "abc", "kg", "", "", ""],
            ["zonghe", "2021-07-01", "supper", "bones", "1", "lb", "", "", ""],
            ["nowhere", "2021-02-30", "lunch", "plate", "1", "kg", "", "", ""],
            ["zonghe", "2021-07-01", "lunch", "", "5", "", "", "", ""],
            ["zonghe", "2021-07-01", "", "plate", "600", "", "", "", ""],
            ["zonghe", "2021-07-01", "lunch", "plate", "1", "", "", "", "300"]]
    problems = problems_of(run_import, "bad.csv", csv_bytes(rows))
    assert [(p.row, p.field) for p in problems] == [
        (3, "weight"),
        (4, "meal"), (4, "stream"), (4, "unit"),
        (5, "canteen"), (5, "date"),
        (6, "stream"),
        (7, "meal"), (7, "weight"),
        (8, "diners")]
    assert problems[0].message == "not a number"
    assert problems[6].message == "give a stream and a weight, or a diner count"
    assert problems[7].message == "required"
    assert entries(session) == [] and counts(session) == []


def test_dates_are_checked_like_entries(session, settings, run_import):
    rows = [HEADER[:5], ["badajie", "2020-08-31", "lunch", "plate", 1],
            ["zonghe", "2999-01-01", "lunch", "plate", 1],
            ["zonghe", "July 1st", "lunch", "plate", 1]]
    problems = problems_of(run_import, "dates.csv", csv_bytes(rows))
    assert problems == [Problem(2, "date", "before the canteen opened on 2020-09-01"),
                        Problem(3, "date", "the date is in the future"),
                        Problem(4, "date", "expected a date such as 2021-07-01 or 2021/7/1")]


def test_a_reimport_is_skipped_not_doubled(session, run_import, user_in):
    content = xlsx_bytes(GOOD_ROWS)
    assert run_import("ledger.xlsx", content) == ImportResult(3, 1, 0)
    assert run_import("ledger.xlsx", content) == ImportResult(0, 0, 4)
    # Another user importing the very same file does not double the ledger either.
    assert run_import("copy.xlsx", content, user_in("manager")) == ImportResult(0, 0, 4)
    assert len(entries(session)) == 3 and len(counts(session)) == 1


def test_a_voided_imported_entry_is_not_brought_back(session, run_import, admin):
    from canteen.ledger.entries import void_entry

    content = xlsx_bytes(GOOD_ROWS)
    run_import("ledger.xlsx", content)
    first = session.scalars(select(WasteEntry).order_by(WasteEntry.id)).first()
    void_entry(session, admin, first.id, "double weighing")
    session.commit()
    assert run_import("ledger.xlsx", content) == ImportResult(0, 0, 4)


def test_a_diner_count_that_differs_from_the_stored_one_is_a_problem(session, settings, run_import, admin):
    set_diner_count(session, settings, admin, canteen="zonghe", day="2021-07-01", meal="lunch", count=500)
    session.commit()
    rows = [HEADER[:3] + ["diners"], ["zonghe", "2021-07-01", "lunch", 480],
            ["zonghe", "2021-07-01", "dinner", 90]]
    problems = problems_of(run_import, "counts.csv", csv_bytes(rows))
    assert [(p.row, p.field) for p in problems] == [(2, "diners")]
    assert "500" in problems[0].message
    assert counts(session) == [(date(2021, 7, 1), "lunch", 500)]

    same = [rows[0], ["zonghe", "2021-07-01", "lunch", "500"], ["zonghe", "2021-07-01", "dinner", "90.0"]]
    assert run_import("counts.csv", csv_bytes(same)) == ImportResult(0, 1, 1)
    assert counts(session) == [(date(2021, 7, 1), "dinner", 90), (date(2021, 7, 1), "lunch", 500)]


def test_two_rows_with_different_counts_for_one_meal_are_a_problem(session, run_import):
    rows = [["canteen", "date", "meal", "diners"], ["zonghe", "2021-07-01", "lunch", 480],
            ["zonghe", "2021-07-01", "lunch", 480], ["zonghe", "2021-07-01", "lunch", 470]]
    problems = problems_of(run_import, "counts.xlsx", xlsx_bytes(rows))
    assert [(p.row, p.field) for p in problems] == [(4, "diners")]
    assert "row 2" in problems[0].message
    assert counts(session) == []
    assert run_import("counts.xlsx", xlsx_bytes(rows[:3])) == ImportResult(0, 1, 1)


@pytest.mark.parametrize("value", ["-5", "4.5", "many", 4.5])
def test_diner_counts_must_be_whole_numbers(run_import, value):
    rows = [["canteen", "date", "meal", "diners"], ["zonghe", "2021-07-01", "lunch", value]]
    problems = problems_of(run_import, "counts.xlsx", xlsx_bytes(rows))
    assert [(p.row, p.field) for p in problems] == [(2, "diners")]


def test_rows_outside_the_importers_scope_are_problems(session, run_import, user_in):
    manager = user_in("manager", canteens=["badajie"])
    rows = [HEADER[:5], ["badajie", "2021-07-01", "lunch", "plate", 1],
            ["zonghe", "2021-07-01", "lunch", "plate", 1],
            ["zonghe", "2021-07-02", "lunch", "plate", 1]]
    problems = problems_of(run_import, "scope.csv", csv_bytes(rows), manager)
    assert [(p.row, p.field) for p in problems] == [(3, "canteen"), (4, "canteen")]
    assert entries(session) == []


@pytest.mark.parametrize("role", ["viewer", "contractor", "assessor"])
def test_roles_without_import_rights_are_refused(run_import, user_in, role):
    with pytest.raises(Forbidden):
        run_import("ledger.xlsx", xlsx_bytes(GOOD_ROWS), user_in(role))


@pytest.mark.parametrize(("filename", "content", "field", "words"), [
    ("ledger.xls", b"\xd0\xcf\x11\xe0", "file", "unsupported file type .xls"),
    ("ledger.txt", b"canteen,date", "file", "unsupported file type .txt"),
    ("ledger", b"canteen,date", "file", "unsupported file type"),
    ("ledger.xlsx", b"PK\x03\x04 not really a zip", "file", "cannot be read as an Excel workbook"),
    ("ledger.xlsx", b"", "file", "cannot be read as an Excel workbook"),
    ("ledger.csv", b"\xff\xfe\x00\x81\xff", "file", "neither UTF-8 nor GB18030"),
    ("ledger.csv", b"canteen,date,meal\x00,stream\n", "file", "binary data, not CSV text"),
    ("ledger.csv", b"canteen,date,meal,stream,weight\nzonghe,2021-07-01,lunch,plate," + b"9" * 200_000,
     "file", "cannot be read as CSV"),
    ("ledger.csv", b"", "file", "the file is empty"),
    ("ledger.csv", b"canteen,date,meal,stream,weight\n", "file", "no rows"),
    ("ledger.csv", b"canteen,day,meal,stream,weight\nzonghe,2021-07-01,lunch,plate,1\n", "header",
     "missing column(s): date (日期)"),
    ("ledger.csv", b"canteen,date,meal,weight\nzonghe,2021-07-01,lunch,1\n", "header",
     "missing column(s): stream (类别)"),
    ("ledger.csv", b"canteen,date,meal,dish\nzonghe,2021-07-01,lunch,rice\n", "header",
     "missing column(s): stream (类别), weight (重量)"),
])
def test_unusable_files_are_refused_with_a_clear_message(session, run_import, filename, content, field,
                                                         words):
    problems = problems_of(run_import, filename, content)
    assert len(problems) == 1
    assert (problems[0].row, problems[0].field) == (0, field)
    assert words in problems[0].message
    assert entries(session) == []


def test_a_repeated_column_is_refused(run_import):
    content = csv_bytes([["canteen", "date", "meal", "stream", "weight", "重量"],
                         ["zonghe", "2021-07-01", "lunch", "plate", "1", "2"]])
    problems = problems_of(run_import, "twice.csv", content)
    assert [(p.row, p.field) for p in problems] == [(1, "header")]
    assert "weight" in problems[0].message


def test_files_over_the_size_limit_are_refused(session, settings, run_import):
    limit = int(settings.ledger.max_upload_mb * 1024 * 1024)
    row = b"zonghe,2021-07-01,lunch,plate,1\n"
    content = b"canteen,date,meal,stream,weight\n" + row * (limit // len(row) + 1)
    problems = problems_of(run_import, "big.csv", content)
    assert problems == [Problem(0, "file", "the file is larger than 5 MB")]
    assert entries(session) == []


def test_files_with_more_than_50000_rows_are_refused(session, run_import):
    assert MAX_ROWS == 50_000
    row = b"zonghe,2021-07-01,lunch,plate,1\n"
    header = b"canteen,date,meal,stream,weight\n"
    problems = problems_of(run_import, "long.csv", header + row * (MAX_ROWS + 1))
    assert problems == [Problem(0, "file", "more than 50,000 rows; split the file")]
    assert entries(session) == []


def test_a_long_list_of_problems_is_capped(run_import):
    from canteen.core.tabular import MAX_PROBLEMS

    rows = [HEADER[:5]] + [["zonghe", "2021-07-01", "lunch", "plate", "x"]] * (MAX_PROBLEMS + 20)
    problems = problems_of(run_import, "typos.csv", csv_bytes(rows))
    assert len(problems) == MAX_PROBLEMS + 1
    assert problems[-1] == Problem(0, "file", "20 more problem(s) not shown")


# --- the CLI -----------------------------------------------------------------------------------------------

@pytest.mark.usefixtures("schema_stamped")
def test_cli_import_ledger(app, runner, tmp_path, session):
    path = tmp_path / "july.xlsx"
    path.write_bytes(xlsx_bytes(GOOD_ROWS))
    # Without --lang the configured default language is used (a CLI has no request to pick one from).
    result = runner.invoke(args=["import-ledger", str(path)])
    assert result.exit_code == 0, result.output
    assert "imported 3 entries and 1 diner counts (0 rows already imported)" in result.stdout
    assert len(entries(session)) == 3
    system = session.scalars(select(User).where(User.username == "system")).one()
    assert {entry.created_by_id for entry in session.scalars(select(WasteEntry))} == {system.id}
    assert not system.active

    again = runner.invoke(args=["import-ledger", str(path), "--lang", "en"])
    assert again.exit_code == 0
    assert "imported 0 entries and 0 diner counts (4 rows already imported)" in again.stdout
    assert len(entries(session)) == 3


@pytest.mark.usefixtures("schema_stamped")
def test_cli_import_ledger_lists_problems_and_stores_nothing(runner, tmp_path, session):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes([HEADER[:5], ["zonghe", "2021-07-01", "lunch", "plate", "1"],
                                ["zonghe", "2021-07-01", "lunch", "plate", "-1"]]))
    result = runner.invoke(args=["import-ledger", str(path), "--lang", "en"])
    assert result.exit_code == 1
    assert "nothing imported; 1 problem(s)" in result.stderr
    assert "row 3: weight: must be more than zero" in result.stderr
    assert entries(session) == []
    assert session.scalars(select(User).where(User.username == "system")).first() is None


@pytest.mark.usefixtures("schema_stamped")
def test_cli_import_ledger_refuses_unknown_file_types(runner, tmp_path):
    path = tmp_path / "ledger.ods"
    path.write_bytes(b"whatever")
    result = runner.invoke(args=["import-ledger", str(path), "--lang", "en"])
    assert result.exit_code == 1
    assert "row 0: file: unsupported file type .ods" in result.stderr


def test_cli_import_needs_a_migrated_database(app, runner, tmp_path):
    with app.extensions["canteen_db"].engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    path = tmp_path / "july.csv"
    path.write_bytes(csv_bytes(GOOD_ROWS))
    result = runner.invoke(args=["import-ledger", str(path), "--lang", "en"])
    assert result.exit_code == 1
    assert "init-db" in result.stderr


def test_cli_export_ledger(runner, tmp_path, add_entry):
    add_entry("2021-07-01", "lunch", "plate", "12.5")
    add_entry("2021-07-02", "lunch", "prep", "7.5")
    out = tmp_path / "ledger-2021-07.xlsx"
    result = runner.invoke(args=["export-ledger", "--canteen", "zonghe", "--month", "2021-07",
                                 "--out", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.stdout
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    header = next(row for row in rows if "Food waste total" in row)
    total = next(row for row in rows if row[0] == "Month total")
    assert total[header.index("Food waste total")] == 20.0
    assert not (tmp_path / "ledger-2021-07.xlsx.part").exists()


@pytest.mark.parametrize(("args", "words"), [
    (["--canteen", "nowhere", "--month", "2021-07"], "unknown canteen"),
    (["--canteen", "zonghe", "--month", "July"], "expected YYYY-MM"),
])
def test_cli_export_ledger_refuses_bad_options(runner, tmp_path, args, words):
    out = tmp_path / "x.xlsx"
    result = runner.invoke(args=["export-ledger", *args, "--out", str(out)])
    assert result.exit_code == 1
    assert words in result.stderr
    assert not out.exists()


# --- the web page -------------------------------------------------------------------------------------------

def upload(client, filename, content):
    """POST a file to the import page."""
    return client.post("/ledger/import", data={"file": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data")


def test_the_import_page_imports_a_file(session, client, login, make_user):
    login(make_user("manager"))
    client.get("/ledger/import?lang=en")
    assert client.get("/ledger/import").status_code == 200
    response = upload(client, "july.xlsx", xlsx_bytes(GOOD_ROWS))
    assert response.status_code == 302
    assert len(entries(session)) == 3
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Imported 3 entries and 1 diner counts" in page


def test_the_import_page_lists_problems_with_422(session, client, login, make_user):
    login(make_user("manager"))
    client.get("/ledger/import?lang=en")
    content = csv_bytes([HEADER[:5], ["zonghe", "2021-07-01", "lunch", "plate", "1"],
                         ["zonghe", "2021-07-01", "supper", "plate", "abc"]])
    response = upload(client, "bad.csv", content)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="problems"' in page
    assert "<td>3</td>" in page and "not a number" in page and "unknown meal" in page
    assert "2 problem(s)" in page
    assert entries(session) == []


def test_the_import_page_refuses_other_file_types_with_422(session, client, login, make_user):
    login(make_user("manager"))
    client.get("/ledger/import?lang=en")
    response = upload(client, "notes.pdf", b"%PDF-1.4")
    assert response.status_code == 422
    assert "unsupported file type .pdf" in response.get_data(as_text=True)


def test_the_import_page_is_for_managers(client, login, make_user):
    login(make_user("viewer"))
    assert client.get("/ledger/import").status_code == 403
    assert upload(client, "july.xlsx", xlsx_bytes(GOOD_ROWS)).status_code == 403
