#pragma once

#include <string>
#include <string_view>

namespace vigil::tracker {

/// True for code points that change how a terminal shows text rather than being text: C0 and
/// C1 controls, DEL, and the invisible and bidirectional formatting characters (zero-width
/// spaces and joiners, LRM/RLM, embeddings and overrides, isolates, line/paragraph separators,
/// BOM).
bool is_control_code_point(char32_t code_point) noexcept;

/// `text` safe to write to a terminal: control code points (is_control_code_point) are
/// written as escapes (`\n`, `\r`, `\t`, `\x1b`, `\u202e`) and bytes that are not UTF-8 as
/// `\xNN`; everything else is kept as is. Used by every text printer of the `vigil` command;
/// JSON output is never escaped this way (JSON has its own escapes).
std::string escape_for_terminal(std::string_view text);

}  // namespace vigil::tracker
