import hashlib
import io
import json
import unittest
import zipfile

from .. import BackupFormatError, Limits, file_format, open_backup, parsing, write_backup
from ..manifest import sign_manifest, verify_signature

COLUMNS = ["id", "name", "parent_id"]
PARTNERS = [
    {"id": 7, "name": "Azure Interior", "parent_id": None},
    {"id": 8, "name": 'Déco, "Addict"', "parent_id": 7},
]
CURRENCIES = [{"id": 1, "name": "EUR", "parent_id": None}]
LOGO = b"\x89PNG fake image bytes"
LOGO_SHA1 = hashlib.sha1(LOGO).hexdigest()


def make_manifest(summaries, files=(), format_version=file_format.FORMAT_VERSION):
    fields = {
        "id": {"type": "integer"},
        "name": {"type": "char"},
        "parent_id": {"type": "many2one", "relation": "res.partner"},
    }
    members = []
    for name, summary in summaries.items():
        kind, model = file_format.parse_member_name(name)
        members.append({"name": name, "model": model, "kind": kind, "fields": fields, **summary})
        if format_version > 1:
            members[-1]["columns"] = COLUMNS
    return {
        "format": file_format.FORMAT,
        "format_version": format_version,
        "created_at": "2026-11-22T04:00:00+00:00",
        "source": {
            "database_uuid": "db-uuid",
            "company_name": "Test Co",
            "currency": "EUR",
            "odoo_version": "18.0",
            "modules": {"account": "18.0.1.3"},
        },
        "members": members,
        "files": [{"sha1": checksum, "bytes": size} for checksum, size in files],
    }


def record_line(record, format_version=file_format.FORMAT_VERSION):
    """A record as a line of the format: an array by ``COLUMNS`` (2), or an object (1)."""
    value = [record.get(column) for column in COLUMNS] if format_version > 1 else record
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def build_backup(
    as_json=False, members=None, files=((LOGO_SHA1, LOGO),), manifest_hook=None, format_version=2
):
    members = members or {"data/res.partner.jsonl": PARTNERS, "keys/res.currency.jsonl": CURRENCIES}
    buffer = io.BytesIO()
    writer = write_backup(buffer, as_json=as_json, format_version=format_version)
    summaries = {}
    for name, records in members.items():
        with writer.member(name) as sink:
            for record in records:
                sink.add(record_line(record, format_version))
        summaries[name] = sink.summary()
    for checksum, content in files:
        writer.add_file(checksum, [content[:5], content[5:]])
    manifest = make_manifest(
        summaries, [(checksum, len(content)) for checksum, content in files], format_version
    )
    if manifest_hook:
        manifest_hook(manifest)
    writer.close(manifest)
    buffer.seek(0)
    return buffer


class RoundTripCase(unittest.TestCase):
    def check_round_trip(self, as_json, format_version=2):
        reader = open_backup(build_backup(as_json=as_json, format_version=format_version))
        reader.verify()
        self.assertEqual(list(reader.records("data/res.partner.jsonl")), PARTNERS)
        self.assertEqual(list(reader.records("keys/res.currency.jsonl")), CURRENCIES)
        self.assertEqual(reader.read_file(LOGO_SHA1), LOGO)
        counts = {member["name"]: member["count"] for member in reader.manifest["members"]}
        self.assertEqual(counts, {"data/res.partner.jsonl": 2, "keys/res.currency.jsonl": 1})

    def test_zip_round_trip(self):
        self.check_round_trip(as_json=False)

    def test_json_round_trip(self):
        self.check_round_trip(as_json=True)

    def test_files_of_format_version_1_are_read(self):
        """Version 1 wrote records as objects: its files still read, as the same dictionaries."""
        for as_json in (False, True):
            with self.subTest(as_json=as_json):
                self.check_round_trip(as_json, format_version=1)
        document = json.load(build_backup(as_json=True, format_version=1))
        self.assertEqual(document["members"]["data/res.partner.jsonl"], PARTNERS)

    def test_records_are_arrays_in_the_order_of_columns(self):
        reader = open_backup(build_backup())
        self.assertEqual(reader.columns("data/res.partner.jsonl"), COLUMNS)
        self.assertEqual(
            list(reader.lines("data/res.partner.jsonl"))[1], b'[8,"D\xc3\xa9co, \\"Addict\\"",7]'
        )

    def test_json_variant_is_one_json_document(self):
        document = json.load(build_backup(as_json=True))
        self.assertEqual(
            document["members"]["data/res.partner.jsonl"],
            [[record[column] for column in COLUMNS] for record in PARTNERS],
        )
        self.assertEqual(document["manifest"]["format"], file_format.FORMAT)
        self.assertEqual(document["files"][LOGO_SHA1], "iVBORyBmYWtlIGltYWdlIGJ5dGVz")

    def test_both_variants_have_the_same_hashes(self):
        zip_manifest = open_backup(build_backup()).manifest
        json_manifest = open_backup(build_backup(as_json=True)).manifest
        self.assertEqual(zip_manifest["members"], json_manifest["members"])

    def test_empty_members_and_no_files(self):
        for as_json in (False, True):
            backup = build_backup(as_json=as_json, members={"data/res.partner.jsonl": []}, files=())
            reader = open_backup(backup)
            reader.verify()
            self.assertEqual(list(reader.records("data/res.partner.jsonl")), [])

    def test_sink_refuses_multi_line_records(self):
        writer = write_backup(io.BytesIO())
        with self.assertRaises(ValueError), writer.member("data/res.partner.jsonl") as sink:
            sink.add('[1,\n"x"]')


class TamperingCase(unittest.TestCase):
    def rewrite_zip(self, backup, changes):
        """Copy a ZIP backup, replacing members by name (None removes one)."""
        source, target = zipfile.ZipFile(backup), io.BytesIO()
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
            for info in source.infolist():
                if info.filename not in changes:
                    out.writestr(info.filename, source.read(info.filename))
            for name, content in changes.items():
                if content is not None:
                    out.writestr(name, content)
        target.seek(0)
        return target

    def assert_refused(self, backup, message, verify=True):
        with self.assertRaisesRegex(BackupFormatError, message):
            reader = open_backup(backup)
            if verify:
                reader.verify()

    def test_changed_record_is_detected(self):
        changed = b'[7,"Azure Interior",null]\n[8,"Evil",7]\n'
        backup = self.rewrite_zip(build_backup(), {"data/res.partner.jsonl": changed})
        self.assert_refused(backup, "does not match its SHA-256")

    def test_hashes_and_counts_alone_detect_changes(self):
        """``verify(parse_records=False)``, for a file just written, still refuses changed content."""
        intact = build_backup()
        open_backup(intact).verify(parse_records=False)
        changed = b'[7,"Azure Interior",null]\n[8,"Evil",7]\n'
        for content, message in (
            (changed, "does not match its SHA-256"),
            (changed.rstrip(b"\n"), "the last line has no newline"),
            (changed.split(b"\n")[0] + b"\n", "holds 1 records, the manifest says 2"),
        ):
            backup = self.rewrite_zip(build_backup(), {"data/res.partner.jsonl": content})
            with self.assertRaisesRegex(BackupFormatError, message):
                open_backup(backup).verify(parse_records=False)

    def test_changed_record_is_detected_while_reading_it(self):
        changed = b'[7,"Azure Interior",null]\n[8,"Evil",7]\n'
        reader = open_backup(self.rewrite_zip(build_backup(), {"data/res.partner.jsonl": changed}))
        reader.verify(read_later={"data/res.partner.jsonl"})
        for checked in (False, True):
            with self.assertRaisesRegex(BackupFormatError, "does not match its SHA-256"):
                list(reader.verified_records("data/res.partner.jsonl", checked=checked))
        fewer = open_backup(self.rewrite_zip(build_backup(), {"data/res.partner.jsonl": changed[:26]}))
        with self.assertRaisesRegex(BackupFormatError, "holds 1 records, the manifest says 2"):
            list(fewer.verified_records("data/res.partner.jsonl"))
        intact = open_backup(build_backup())
        self.assertEqual(list(intact.verified_records("data/res.partner.jsonl")), PARTNERS)

    def test_batches_hold_the_records_verified_records_gives(self):
        """``verified_batches``: the same records, as value lists in the columns' order (format 2)
        or dictionaries (format 1), the hash and count checked after the last batch, and a bad
        line named with its number."""
        partners = PARTNERS + [{"id": 9 + n, "name": f"P{n}", "parent_id": 7} for n in range(5)]
        for format_version, as_json in ((2, False), (2, True), (1, False)):
            with self.subTest(format_version=format_version, as_json=as_json):
                backup = build_backup(as_json, {"data/res.partner.jsonl": partners}, (), None, format_version)
                reader = open_backup(backup)
                for checked in (False, True):
                    batches = list(reader.verified_batches("data/res.partner.jsonl", 3, checked=checked))
                    self.assertEqual([len(batch) for batch in batches], [3, 3, 1])
                    records = [record for batch in batches for record in batch.records()]
                    self.assertEqual(records, partners)
                    self.assertEqual(batches[0].values("parent_id"), [None, 7, 7])
                    self.assertEqual(batches[0].values("no_such_field"), [None] * 3)
                    if format_version > 1:  # the line's array as it is
                        self.assertEqual(batches[0].names, tuple(COLUMNS))
                        self.assertEqual(batches[0].rows[0], [7, "Azure Interior", None])
                    else:
                        self.assertIsNone(batches[0].names)
        changed = b'[7,"Azure Interior",null]\n[8,"Evil",7]\n'
        reader = open_backup(self.rewrite_zip(build_backup(), {"data/res.partner.jsonl": changed}))
        with self.assertRaisesRegex(BackupFormatError, "does not match its SHA-256"):
            list(reader.verified_batches("data/res.partner.jsonl", 1))
        broken = b'[7,"Azure Interior",null]\n[8,"Evil"]\n'
        reader = open_backup(self.rewrite_zip(build_backup(), {"data/res.partner.jsonl": broken}))
        with self.assertRaisesRegex(BackupFormatError, "res.partner.jsonl, line 2: .*array of 3 values"):
            list(reader.verified_batches("data/res.partner.jsonl", 1))

    def test_changed_json_variant_is_detected(self):
        content = build_backup(as_json=True).getvalue().replace(b"Azure Interior", b"Azure Exterior")
        self.assert_refused(io.BytesIO(content), "does not match its SHA-256")

    def test_extra_and_missing_members(self):
        self.assert_refused(self.rewrite_zip(build_backup(), {"data/res.users.jsonl": b""}), "not listed")
        self.assert_refused(self.rewrite_zip(build_backup(), {"keys/res.currency.jsonl": None}), "missing")

    def test_member_paths_outside_the_format(self):
        for name in (
            "../evil.jsonl",
            "/etc/passwd",
            "data/../../x.jsonl",
            "data/Res.Partner.jsonl",
            "notes.txt",
        ):
            with self.subTest(name=name):
                self.assert_refused(
                    self.rewrite_zip(build_backup(), {name: b"{}\n"}), "unexpected member", False
                )

    def test_duplicate_member_in_zip(self):
        backup = build_backup()
        with zipfile.ZipFile(backup, "a") as archive_file, self.assertWarns(UserWarning):
            archive_file.writestr("keys/res.currency.jsonl", b'[1,"EUR",null]\n')
        backup.seek(0)
        self.assert_refused(backup, "appears twice", False)

    def test_zip_bomb(self):
        bomb = b'[1,"' + b"A" * (20 << 20) + b'",null]\n'
        backup = self.rewrite_zip(build_backup(), {"data/res.partner.jsonl": bomb})
        self.assert_refused(backup, "zip bomb", False)
        backup.seek(0)
        with self.assertRaisesRegex(BackupFormatError, "larger than allowed"):
            open_backup(backup, Limits(max_member_bytes=1 << 20))
        backup.seek(0)
        with self.assertRaisesRegex(BackupFormatError, "total size"):
            open_backup(backup, Limits(max_total_bytes=1 << 20, max_ratio=10**6))

    def test_hostile_json(self):
        cases = {
            b'{"id":1,"id":2}': "duplicate key 'id'",
            b'{"id":1, "id" :2}': "duplicate key 'id'",
            b'{"id":1,"ref":"a","ref":"b"}': "duplicate key 'ref'",
            b'{"id":1,"name":{"en_US":"a","en_US":"b"}}': "duplicate key 'en_US'",
            b'{"id":1,"name":"a\\"b","name":"c"}': "duplicate key 'name'",
            b'{"id":NaN}': "NaN is not a valid JSON number",
            b'{"id":Infinity}': "Infinity is not a valid JSON number",
            b'{"id":' + b"[" * 100 + b"]" * 100 + b"}": "nested deeper",
            b'["not", "an object"]': "must be a JSON object",
            b'{"id": 1': "invalid JSON",
        }
        for line, message in cases.items():
            with self.subTest(line=line[:20]), self.assertRaisesRegex(BackupFormatError, message):
                parsing.parse_record(line, Limits(), "data/res.partner.jsonl, line 1")
        array_cases = {
            b'[1,{"en_US":"a","en_US":"b"}]': "duplicate key 'en_US'",
            b'[1, {"en_US":"a", "en_US" :"b"}]': "duplicate key 'en_US'",
            b'[1,{"a\\"":1,"a\\"":2}]': "duplicate key",
            b"[NaN,1]": "NaN is not a valid JSON number",
            b"[1]": "must be a JSON array of 2 values",
            b'[1,"a","b"]': "must be a JSON array of 2 values",
            b'{"id":1,"name":"a"}': "must be a JSON array of 2 values",
            b"[1," + b"[" * 100 + b"]" * 100 + b"]": "nested deeper",
        }
        for line, message in array_cases.items():
            with self.subTest(line=line[:20]), self.assertRaisesRegex(BackupFormatError, message):
                parsing.parse_record(line, Limits(), "data/res.partner.jsonl, line 1", ["id", "name"])

    def test_quick_parse_reads_what_the_strict_parse_reads(self):
        lines = [
            b'{"id":1,"name":{"en_US":"Chair","fr_FR":"Chaise"},"tax_ids":[1,2],"amount":-12.50,"x":null}',
            b'{"id":2,"note":"line\\nbreak \\"quoted\\"","analytic_distribution":{"3,4":100.0}}',
            b'{"id":3,"big":12345678901234567890,"flag":true,"empty":""}',
            b'{"id":4,"name":"caf\xc3\xa9 \\u00e9"}',
        ]
        for line in lines:
            with self.subTest(line=line[:20]):
                self.assertEqual(
                    parsing.parse_record(line, Limits(), "line 1"), json.loads(line.decode("utf-8"))
                )
        columns = ["id", "name", "tax_ids", "note"]
        for line in (b'[1,{"en_US":"Chair"},[1,2],"a \\"b\\""]', b'[2,null,[],"caf\xc3\xa9"]'):
            with self.subTest(line=line[:20]):
                expected = dict(zip(columns, json.loads(line.decode("utf-8")), strict=True))
                self.assertEqual(parsing.parse_record(line, Limits(), "line 1", columns), expected)

    def test_long_line(self):
        long_record = b'[1,"' + b"x" * 5000 + b'",null]\n'
        backup = self.rewrite_zip(build_backup(), {"data/res.partner.jsonl": long_record})
        reader = open_backup(backup, Limits(max_line_bytes=1000))
        with self.assertRaisesRegex(BackupFormatError, "longer than 1000 bytes"):
            list(reader.records("data/res.partner.jsonl"))

    def test_truncated_files(self):
        zip_bytes = build_backup().getvalue()
        self.assert_refused(io.BytesIO(zip_bytes[: len(zip_bytes) // 2]), "not a readable ZIP", False)
        json_bytes = build_backup(as_json=True).getvalue()
        self.assert_refused(io.BytesIO(json_bytes[: len(json_bytes) - 80]), "truncated", False)

    def test_not_a_backup(self):
        self.assert_refused(io.BytesIO(b"%PDF-1.7"), "neither a ZIP nor a JSON", False)
        self.assert_refused(io.BytesIO(b'{"hello": "world"}'), "not a Danger Zone JSON backup", False)
        plain_zip = io.BytesIO()
        with zipfile.ZipFile(plain_zip, "w") as archive_file:
            archive_file.writestr("readme.txt", "hi")
        self.assert_refused(plain_zip, "unexpected member", False)

    def test_manifest_structure_is_checked(self):
        def break_count(manifest):
            manifest["members"][0]["count"] = "2"

        def bad_field_type(manifest):
            manifest["members"][0]["fields"]["name"] = {"type": "binary"}

        def newer_version(manifest):
            manifest["format_version"] = 99

        def no_columns(manifest):
            del manifest["members"][0]["columns"]

        def columns_without_a_field(manifest):
            manifest["members"][0]["columns"] = ["id", "name"]

        def id_not_first(manifest):
            manifest["members"][0]["columns"] = ["name", "id", "parent_id"]

        for hook, message in ((break_count, "bad count"), (bad_field_type, "unknown type"),
                              (newer_version, "not supported"), (no_columns, "'columns' must list"),
                              (columns_without_a_field, "each field of 'fields' once"),
                              (id_not_first, "'id' first")):  # fmt: skip
            with self.subTest(hook=hook.__name__):
                self.assert_refused(build_backup(manifest_hook=hook), message, False)

    def test_attachment_content_is_checked(self):
        backup = self.rewrite_zip(build_backup(), {f"files/{LOGO_SHA1}": b"other bytes"})
        self.assert_refused(backup, "does not match its checksum")


class SignatureCase(unittest.TestCase):
    def test_signature_covers_the_content(self):
        manifest = sign_manifest(open_backup(build_backup()).manifest, "database-secret")
        self.assertTrue(verify_signature(manifest, "database-secret"))
        self.assertFalse(verify_signature(manifest, "another-secret"))
        manifest["members"][0]["sha256"] = "0" * 64
        self.assertFalse(verify_signature(manifest, "database-secret"))
        self.assertFalse(verify_signature({"format": file_format.FORMAT}, "database-secret"))
