"""Rights are flags (an enum.IntFlag) with the header's values, and ints all the same."""

import re
import unittest

from support import INCLUDE, load_trindle


def header_rights():
    text = (INCLUDE / "trindle-layout.h").read_text()
    return {name: int(value, 0) for name, value in re.findall(r"#define TRINDLE_RIGHT_(\w+) (0x[0-9a-f]+)u?", text)}


class RightsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.trindle = load_trindle()

    def test_every_right_of_the_header_with_its_value(self):
        trindle = self.trindle
        rights = header_rights()
        assert rights, "the header defines TRINDLE_RIGHT_*"
        assert {right.name: right.value for right in trindle.Rights} == rights
        for name, value in rights.items():
            assert getattr(trindle, f"RIGHT_{name}") == value
            assert getattr(trindle, f"RIGHT_{name}") is trindle.Rights[name]

    def test_rights_combine_as_flags_and_as_ints(self):
        trindle = self.trindle
        Rights = trindle.Rights
        both = Rights.READ | Rights.WRITE
        assert isinstance(both, Rights) and isinstance(both, int)
        assert both == 0x03 and Rights.READ in both and Rights.SEND not in both
        assert trindle.RIGHT_SEND | 0x10 == Rights.SEND | Rights.RECEIVE == 0x18
        assert Rights(0x01 | 0x02) == both
