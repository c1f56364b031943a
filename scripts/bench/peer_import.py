#!/usr/bin/env python3
"""The peer for the import benchmark: what a user would otherwise write with csv, the `phonenumbers`
package and sqlite3. It does the same validated work as `campaign import`: E.164 numbers, a
[placeholder] prompt per row with [time|default], duplicates dropped, one transaction."""
import csv
import re
import sqlite3
import sys

import phonenumbers

def main():
    contacts, prompt_path, db_path = sys.argv[1:4]
    template = open(prompt_path, encoding="utf-8").read()
    placeholder = re.compile(r"\[([^\[\]|]+)(?:\|([^\]]*))?\]")
    db = sqlite3.connect(db_path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE jobs (id INTEGER PRIMARY KEY, line INTEGER, row TEXT, phone_e164 TEXT UNIQUE, "
               "prompt TEXT, status TEXT)")
    seen = set()
    rejects = []
    rows = []
    with open(contacts, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = next(reader)
        index = {name: i for i, name in enumerate(header)}
        phone_col = index["phone"]
        for line, fields in enumerate(reader, start=2):
            if len(fields) != len(header):
                rejects.append((line, "ragged"))
                continue
            try:
                number = phonenumbers.parse(fields[phone_col], "US")
            except phonenumbers.NumberParseException as error:
                rejects.append((line, str(error)))
                continue
            if not phonenumbers.is_valid_number(number):
                rejects.append((line, "invalid number"))
                continue
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            if e164 in seen:
                continue
            seen.add(e164)

            def fill(match):
                value = fields[index[match.group(1).strip()]]
                return value if value.strip() else (match.group(2) or "")

            prompt = placeholder.sub(fill, template)
            rows.append((line, ",".join(fields), e164, prompt, "queued"))
    with db:
        db.executemany("INSERT INTO jobs (line, row, phone_e164, prompt, status) VALUES (?, ?, ?, ?, ?)", rows)
    print(f"{len(rows)} queued, {len(rejects)} rejected")

if __name__ == "__main__":
    main()
