"""Peak memory of an Odoo server that receives a backup of over 1 GB through the upload route,
checks it and restores it with its scheduled action (the documented example script drives it).

Usage (bench/large_file_benchmark.sh sets it up):
    python measure_large_file.py DB OUT_DIR FILES -- ODOO_BIN_COMMAND...
Prints a Markdown table: file size, times, and the server's peak RSS (VmHWM) before the upload
and at the end. The server is threaded: the upload, the check and the job run in one process.
"""

import os
import socket
import subprocess
import sys
import time

from measure import measure
from measure_restore import shell

PORT = 8077
HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "..", "docs", "examples")


def peak_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def wait_for_port(port, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise SystemExit(f"no server on port {port}")


def main(argv):
    split = argv.index("--")
    database, out_dir, files = argv[:split]
    odoo_command = argv[split + 1 :]
    setup = open(os.path.join(HERE, "large_company.py")).read()
    company, target, key = next(
        line.split()[1:] for line in shell(odoo_command, database, setup, DZ_BENCH_FILES=files).splitlines()
        if line.startswith("LARGE")
    )  # fmt: skip
    backup = os.path.join(out_dir, "large_backup.zip")
    backup_seconds, backup_mb, _ = measure(
        [*odoo_command, "danger-zone", "backup", "-d", database, "--company", company, "-o", backup,
         "--with-attachments", "--log-level=warn"]
    )  # fmt: skip
    size_mb = os.path.getsize(backup) / (1 << 20)
    print(f"backup: {size_mb:.0f} MB in {backup_seconds:.1f} s, peak {backup_mb:.0f} MB", file=sys.stderr)

    server = subprocess.Popen(
        [*odoo_command, "-d", database, f"--http-port={PORT}", "--workers=0", "--max-cron-threads=1",
         "--log-level=warn", "--logfile", os.path.join(out_dir, "server.log")]
    )  # fmt: skip
    try:
        wait_for_port(PORT)
        time.sleep(2)  # the cron thread and the registry settle
        before = peak_mb(server.pid)
        script = os.path.join(EXAMPLES, "xmlrpc_restore.py")
        url = f"http://127.0.0.1:{PORT}"
        restore_seconds, _, output = measure(
            [sys.executable, script, url, database, "admin", key, target, backup, "--upload"], cwd=EXAMPLES
        )
        after = peak_mb(server.pid)
    finally:
        server.terminate()
        server.wait()
    restored = next((line for line in output.splitlines() if "ir.attachment" in line), "")
    print(f"restore: {restore_seconds:.1f} s; {restored.strip()}", file=sys.stderr)
    print(
        "| backup file MB | backup s (peak RSS MB) | upload + check + restore s "
        "| server peak RSS MB: before upload / at the end |"
    )
    print("| --- | --- | --- | --- |")
    print(
        f"| {size_mb:.0f} | {backup_seconds:.1f} ({backup_mb:.0f}) | {restore_seconds:.1f} "
        f"| {before:.0f} / {after:.0f} |"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
