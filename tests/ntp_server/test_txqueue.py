# SPDX-License-Identifier: GPL-2.0-or-later
"""TxQueue: TX timestamp reports matched to waiting replies by OPT_ID key, in send order."""

from __future__ import annotations

from ptpbridge.daemon.ntp_txqueue import KEY_MODULUS, TxQueue


def test_reports_match_in_order_and_missing_ones_count_as_lost() -> None:
    q: TxQueue[str] = TxQueue()
    for name in "abcd":
        q.sent(name, deadline=100)
    assert q.match(0) == ("a", 0)
    assert q.match(2) == ("c", 1)  # b's report never came
    assert q.match(1) == (None, 0)  # b's late report: already given up on
    assert len(q) == 1 and q.match(3) == ("d", 0) and len(q) == 0


def test_failed_sends_that_took_a_key_shift_the_numbering() -> None:
    q: TxQueue[str] = TxQueue()
    q.sent("a", 100)
    q.burn_key()  # a send refused after it took key 1
    q.sent("c", 100)
    assert q.match(0) == ("a", 0)
    assert q.match(2) == ("c", 0)


def test_keys_wrap_at_32_bits() -> None:
    q: TxQueue[int] = TxQueue(first_key=KEY_MODULUS - 1)
    q.sent(1, 100)
    q.sent(2, 100)
    assert q.next_key == 1
    assert q.match(KEY_MODULUS - 1) == (1, 0)
    assert q.match(0) == (2, 0)


def test_deadlines_expire_entries_and_none_expires_all() -> None:
    q: TxQueue[str] = TxQueue()
    q.sent("a", 10)
    q.sent("b", 20)
    q.sent("c", 30)
    assert q.expire(19) == 1 and len(q) == 2
    assert q.match(0) == (None, 0)  # a's report after its deadline
    assert q.expire(None) == 2 and len(q) == 0
