"""The `studykit` command: output and exit codes, one-line errors for bad invocations."""

import json

from studykit.cli import main


def test_experiments_lists_every_experiment_with_presets(capsys):
    assert main(["experiments"]) == 0
    out = capsys.readouterr().out
    assert "vanishing_gradient:" in out and "presets: default, tiny" in out


def test_unknown_preset_is_a_one_line_error(capsys):
    assert main(["run", "backprop", "--preset", "nope"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "has no preset 'nope'" in err and "Traceback" not in err


def test_unwritable_csv_folder_is_a_one_line_error(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["run", "backprop", "--preset", "tiny", "--csv", str(blocker / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: cannot write CSV files to") and err.count("\n") == 0


def test_negative_numbers_in_list_values(tmp_path, capsys):
    args = ["run", "backprop", "--preset", "tiny", "--inputs", "-2,1", "--csv", str(tmp_path)]
    assert main(args) == 0
    out = capsys.readouterr().out
    findings = json.loads(out[out.index("{") : out.rindex("}") + 1])
    assert findings and list(tmp_path.glob("backprop_*.csv"))


def test_out_of_range_value_exits_2(capsys):
    assert main(["run", "vanishing_gradient", "--depth", "50"]) == 2
    assert "depth" in capsys.readouterr().err


def test_questions_check_reports_problems_with_exit_1(tmp_path, capsys):
    (tmp_path / "broken.yaml").write_text("topic: [unclosed\n", encoding="utf-8")
    assert main(["questions", "check", "--dir", str(tmp_path)]) == 1
    assert "broken.yaml: not valid YAML" in capsys.readouterr().err
