import Foundation
import Rescind
import RescindJSON
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import RescindYAML

/// A line of a decision log (`docs/decision-log.md`, `RescindJSON.DecisionLogFormat`):
/// one JSON object per decision or rejected request, `{"seq", "boot_id", "decision_id", "logged_at", "policy",
/// "latency_us", "request_bytes", "request_sha256", "truncated", "history", "request",
/// "decision", "error"}` (older logs: without `history`, or also without the first two
/// and the `request_`/`truncated` members, and with `decision` or `error` only).
///
/// Replay reads logs and plain request-per-line files alike, mixed: a line is a log
/// entry when its object has a `request` object (a rejected request's: a string) and a
/// `decision` or `error` member,
/// and a plain request otherwise. A request cannot be mistaken for an entry: `request`
/// is the name conditions use for the whole request, so no schema declares a field of
/// that name, and the decoder rejects a request that has one.
package enum DecisionLogLine {
    /// The request a line carries: the `request` object of a log entry, else the whole
    /// line. A rejected request's entry carries its text, a JSON string: then `request`
    /// is that string, quotes included (`unquote` gives the bytes it holds). Only the envelope is scanned here; the request's own JSON is checked when
    /// it is decoded, so a broken line is reported by the decoder, with a JSON path.
    ///
    /// `quick` takes the request to end where `},"decision":` first follows its start,
    /// as entries are written, instead of reading through it: most of a line is its
    /// request, and this halves the work. The guess is right whenever the request
    /// decodes (a request that decodes is one whole JSON object, and an object ends at
    /// one place only); when it does not decode, ask again without `quick`.
    package static func request(in line: UnsafeRawBufferPointer, quick: Bool = false) -> (
        request: UnsafeRawBufferPointer, isLogEntry: Bool
    ) {
        let envelope = scan(line, quick: quick)
        guard let range = envelope.request else { return (line, false) }
        return (UnsafeRawBufferPointer(rebasing: line[range]), true)
    }

    /// The members of a log entry readers need besides the request, read in the same
    /// pass: where it sits in its process's log (`seq`, `boot_id`), and whether its
    /// request is a rejected request's text (a JSON string, cut when `truncated`).
    typealias Envelope = DecisionLogFormat.Envelope

    /// The envelope of `line` (`DecisionLogFormat.envelope`, where the format is kept
    /// with its writer); `request` is nil when the line is not a log entry.
    static func scan(_ line: UnsafeRawBufferPointer, quick: Bool = false) -> Envelope {
        DecisionLogFormat.envelope(of: line, quick: quick)
    }

    /// The events a log entry's `history` logged (docs/decision-log.md), read strictly:
    /// nil when the line has none (`null`, an older line, a plain request); an error
    /// located by its JSON path in the line (`$.history[2].at`) when it is malformed,
    /// which makes the line a bad line for replay. The member replay reads: the one
    /// before the request, as the service writes lines, found by the quick scan; else
    /// the exact scan's (a line in another order, or an older one).
    package static func history(in line: UnsafeRawBufferPointer) -> Result<[HistoryItem]?, RequestError> {
        let quick = scan(line, quick: true)
        if let member = quick.history, let request = quick.request, member.lowerBound < request.lowerBound {
            return history(of: quick, in: line)
        }
        return history(of: scan(line), in: line)
    }

    static func history(of envelope: Envelope, in line: UnsafeRawBufferPointer) -> Result<[HistoryItem]?, RequestError> {
        guard let member = envelope.history else { return .success(nil) }
        return LoggedHistory.items(in: line, member: member).map { Optional($0) }
    }

    /// The bytes of a rejected request kept as a JSON string (`"request":"…"`),
    /// unescaped: the request as it was sent when the entry is not `truncated`; nil
    /// when `string` is not a JSON string.
    package static func unquote(_ string: UnsafeRawBufferPointer) -> [UInt8]? {
        DecisionLogFormat.unquote(string)
    }
}
