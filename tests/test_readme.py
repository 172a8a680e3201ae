"""The README's reuse example runs as written."""

import re
from pathlib import Path

README = Path(__file__).parents[1] / "README.md"


def test_reuse_example_runs(tmp_path, monkeypatch):
    section = README.read_text(encoding="utf-8").split("## Reuse the components")[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    assert (tmp_path / "model.keras").exists()
