# SPDX-License-Identifier: GPL-2.0-or-later
"""Suite-wide pytest setup: the namespace-lab fixtures (make_lab, lab_pair, lab_star)."""

pytest_plugins = ["nslab.pytest_plugin"]
