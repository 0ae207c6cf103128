"""Structure test of editors/helix/languages.toml.

Helix is not packaged in any registry CI can reach, so this checks the snippet
the way Helix reads it: a TOML document whose [language-server.precept] runs
`precept server` and whose rust language runs rust-analyzer and precept.
"""

import pathlib
import tomllib
import unittest

SNIPPET = pathlib.Path(__file__).resolve().parent.parent / "languages.toml"


class LanguagesToml(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with SNIPPET.open("rb") as f:
            cls.doc = tomllib.load(f)

    def test_only_known_top_level_keys(self):
        self.assertEqual(set(self.doc), {"language-server", "language"})

    def test_language_server_entry(self):
        server = self.doc["language-server"]["precept"]
        self.assertEqual(server["command"], "precept")
        self.assertEqual(server["args"], ["server"])
        self.assertLessEqual(set(server), {"command", "args", "config", "environment", "timeout"})

    def test_rust_runs_rust_analyzer_and_precept(self):
        languages = self.doc["language"]
        self.assertIsInstance(languages, list)
        rust = [lang for lang in languages if lang.get("name") == "rust"]
        self.assertEqual(len(rust), 1, "exactly one [[language]] named rust")
        servers = rust[0]["language-servers"]
        self.assertEqual(servers, ["rust-analyzer", "precept"])
        for name in servers:
            if isinstance(name, str) and name != "rust-analyzer":
                self.assertIn(name, self.doc["language-server"], f"{name} has no [language-server.{name}]")

    def test_commented_config_example_is_valid(self):
        # The commented `config = ...` line must work when a user uncomments it.
        text = SNIPPET.read_text()
        example = next(line for line in text.splitlines() if line.startswith("# config = "))
        config = tomllib.loads(example[2:])["config"]
        self.assertEqual(config["rules"]["missing-timeout"], "error")
        self.assertEqual(config["diagnostics"]["scope"], "open")


if __name__ == "__main__":
    unittest.main()
