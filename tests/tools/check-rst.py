#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""check-rst.py FILE...: renders each reStructuredText file with docutils, as
the kernel's Sphinx build reads Documentation/; any warning (or worse) is an
error. Prints one line per problem; exit status 1 if there was one."""

import io
import sys

import docutils.core
import docutils.utils

bad = 0
for path in sys.argv[1:]:
    with open(path) as f:
        src = f.read()
    err = io.StringIO()
    try:
        docutils.core.publish_string(src, source_path=path, writer_name="html",
                                     settings_overrides={"halt_level": 5, "report_level": 2,
                                                         "warning_stream": err})
    except docutils.utils.SystemMessage as e:
        err.write(str(e) + "\n")
    for line in err.getvalue().splitlines():
        print(line)
        bad = 1
sys.exit(bad)
