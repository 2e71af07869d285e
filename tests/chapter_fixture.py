"""The jupytext header of a minimal chapter, for the tests that build a tiny book."""

import textwrap

HEADER = textwrap.dedent("""\
    ---
    jupytext:
      text_representation: {extension: .md, format_name: myst}
    kernelspec: {display_name: Python 3, language: python, name: python3}
    ---
    """)
