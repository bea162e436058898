"""Print Odoo's requirements as pins that install from wheels on this Python.

Odoo 18.0 pins old sdists for Python 3.11 (cbor2 5.4.2 needs pkg_resources
to build). Its pins for Python 3.12 install as wheels and work on 3.11, so
every marker is evaluated as if the interpreter were 3.12.

Usage: python odoo_requirements.py ODOO_PATH/requirements.txt
"""

import sys

try:
    from packaging.requirements import Requirement
except ImportError:  # a bare venv only has pip's vendored copy
    from pip._vendor.packaging.requirements import Requirement

TARGET = {"python_version": "3.12", "python_full_version": "3.12.0", "sys_platform": "linux"}


def wheel_pins(lines):
    for line in lines:
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        requirement = Requirement(text)
        if requirement.marker and not requirement.marker.evaluate(TARGET):
            continue
        requirement.marker = None
        yield str(requirement)


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as handle:
        print("\n".join(wheel_pins(handle)))
