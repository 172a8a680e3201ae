"""Korean particles after numbers in summaries: 0.25였고 / 1이었고, 0을 / 2를."""

from __future__ import annotations

# Digits whose Korean reading ends in a final consonant (받침): 영, 일, 삼, 육, 칠, 팔.
_BATCHIM_DIGITS = set("013678")


def has_batchim(text: str) -> bool:
    """Whether ``text`` (a number as written, e.g. "0.25", "1", "95%") ends in a 받침."""
    text = text.rstrip()
    if text.endswith("%"):
        return False  # 퍼센트
    last = text[-1:]
    if last.isdigit():
        return last in _BATCHIM_DIGITS
    if "가" <= last <= "힣":
        return (ord(last) - ord("가")) % 28 != 0
    return False


def josa(text: str, with_batchim: str, without_batchim: str) -> str:
    """``text`` followed by the right particle: josa("1", "이었고", "였고") == "1이었고"."""
    return text + (with_batchim if has_batchim(text) else without_batchim)


def ro(text: str) -> str:
    """``text`` + 로/으로 (로 also after ㄹ: 1로, 7로, 8로; 으로 after 0, 3, 6)."""
    last = text.rstrip()[-1:]
    if last in "178" or not has_batchim(text):
        return text + "로"
    return text + "으로"
