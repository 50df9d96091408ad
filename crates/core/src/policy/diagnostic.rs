//! Located messages about a policy file, printed as `FILE:LINE:COL: error: message`.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// The policy cannot be used.
    Error,
    /// Legal but unwise.
    Warning,
    /// Neither wrong nor unwise: what the policy's choice means for how Postern serves it.
    Note,
}

/// One finding, located in the source by byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error, warning or note.
    pub level: Level,
    /// Byte range in the source, when the finding has a place.
    pub span: Option<Range<usize>>,
    /// What is wrong and what to write instead.
    pub message: String,
}

/// A 1-based line and column (in characters) in a source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
}

impl Position {
    /// Finds the line and column of a byte offset. Offsets past the end, or inside a character,
    /// are clamped, so this never panics.
    pub fn of(source: &str, offset: usize) -> Position {
        let mut offset = offset.min(source.len());
        while !source.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &source[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Position {
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    }
}

impl Diagnostic {
    /// An error at a place.
    pub fn error(span: Option<Range<usize>>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            level: Level::Error,
            span,
            message: message.into(),
        }
    }

    /// A warning at a place.
    pub fn warning(span: Option<Range<usize>>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            level: Level::Warning,
            span,
            message: message.into(),
        }
    }

    /// A note at a place: no fault, only what a choice of the policy means.
    pub fn note(span: Option<Range<usize>>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            level: Level::Note,
            span,
            message: message.into(),
        }
    }

    /// Formats as `FILE:LINE:COL: error: message`, the form editors and CI logs understand.
    pub fn display<'a>(&'a self, file: &'a str, source: &'a str) -> impl fmt::Display + 'a {
        DisplayDiagnostic {
            diagnostic: self,
            file,
            source,
        }
    }
}

struct DisplayDiagnostic<'a> {
    diagnostic: &'a Diagnostic,
    file: &'a str,
    source: &'a str,
}

impl fmt::Display for DisplayDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let start = self.diagnostic.span.as_ref().map_or(0, |s| s.start);
        let Position { line, column } = Position::of(self.source, start);
        let level = match self.diagnostic.level {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "note",
        };
        write!(
            f,
            "{}:{line}:{column}: {level}: {}",
            self.file, self.diagnostic.message
        )
    }
}

/// Where each decoded key sits in the source, by dotted path such as `channels[1].email`.
///
/// Semantic checks run on the typed policy and look their positions up here, which keeps
/// source positions out of the model.
#[derive(Debug, Clone, Default)]
pub struct SpanMap {
    spans: HashMap<String, Range<usize>>,
}

impl SpanMap {
    /// Records the span of a path.
    pub fn insert(&mut self, path: String, span: Range<usize>) {
        self.spans.insert(path, span);
    }

    /// Whether the policy wrote this very key (no ancestor counts), so that a check can tell a
    /// value the author chose from a default.
    pub fn written(&self, path: &str) -> bool {
        self.spans.contains_key(path)
    }

    /// The span of a path, or of its nearest recorded ancestor, so that a check about a missing
    /// key still points at the table that should hold it.
    pub fn get(&self, path: &str) -> Option<Range<usize>> {
        let mut path = path;
        loop {
            if let Some(span) = self.spans.get(path) {
                return Some(span.clone());
            }
            let cut = path.rfind(['.', '['])?;
            path = &path[..cut];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters_from_one() {
        let source = "a = 1\nbé = \"x\"\n";
        assert_eq!(Position::of(source, 0), Position { line: 1, column: 1 });
        let x = source.find('x').unwrap();
        assert_eq!(Position::of(source, x), Position { line: 2, column: 7 });
        assert_eq!(Position::of(source, 10_000).line, 3);
        // Inside the two-byte 'é': clamped back to its start.
        assert_eq!(Position::of(source, 8), Position { line: 2, column: 2 });
    }

    #[test]
    fn span_lookup_falls_back_to_the_parent() {
        let mut spans = SpanMap::default();
        spans.insert("response".into(), 5..9);
        spans.insert("channels[1]".into(), 20..30);
        assert_eq!(spans.get("response.acknowledge"), Some(5..9));
        assert_eq!(spans.get("channels[1].email"), Some(20..30));
        assert_eq!(spans.get("scope"), None);
    }
}
