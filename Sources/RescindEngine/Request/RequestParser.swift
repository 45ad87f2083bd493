import CELCommon
import CELRuntime
import RescindUnsafe

// ASCII bytes the grammar needs.
private let quote = UInt8(ascii: "\"")
private let backslash = UInt8(ascii: "\\")
private let openBrace = UInt8(ascii: "{")
private let closeBrace = UInt8(ascii: "}")
private let openBracket = UInt8(ascii: "[")
private let closeBracket = UInt8(ascii: "]")
private let comma = UInt8(ascii: ",")
private let colon = UInt8(ascii: ":")
private let minus = UInt8(ascii: "-")
private let zero = UInt8(ascii: "0")

/// A single pass over the request's UTF-8 bytes, directed by the schema: each value is
/// read straight into the `Value` its field's type calls for, with no intermediate tree.
///
/// Errors do not unwind. A problem is recorded as a `PendingError` with the path below
/// the current level, decoding skips the bad value and goes on (up to
/// `limits.maxErrors`), and each enclosing level appends its own path component when it
/// sees that errors were added while it decoded a child. Input that is not JSON, or that
/// breaks a limit, stops decoding (`aborted`).
struct RequestParser: ~Copyable {
    private let plan: DecodePlan
    private let objects: [ObjectPlan]
    private let enums: [EnumPlan]
    private let shapes: [ValueShape]
    private let bounds: [BoundsPlan]
    private let limits: RequestLimits
    private let input: UnsafePointer<UInt8>
    private let count: Int
    private var position = 0
    private var depth = 0
    private(set) var errors: [PendingError] = []
    private(set) var aborted = false
    /// Whether decoding stopped because `limits.maxErrors` was reached.
    private(set) var truncated = false
    /// Where strings with escapes are decoded; allocated on the first escape, sized
    /// to the rest of the input (a decoded string is never longer than its source).
    private var scratch = ByteBuffer()

    init(plan: DecodePlan, limits: RequestLimits, input: UnsafeRawBufferPointer) {
        self.plan = plan
        self.objects = plan.objects
        self.enums = plan.enums
        self.shapes = plan.shapes
        self.bounds = plan.bounds
        self.limits = limits
        // An empty buffer may have no base address; any valid pointer will do as nothing is read.
        self.input = input.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) } ?? UnsafePointer(bitPattern: 1)!
        self.count = input.count
    }

    // MARK: Document

    /// Decodes the whole document as the root object; nil when there were errors.
    mutating func parseRoot() -> ObjectValue? {
        skipWhitespace()
        guard position < count else {
            fail(.invalidJSON("the request is empty"))
            return nil
        }
        guard input[position] == openBrace else {
            mismatch(expected: "a JSON object")
            return nil
        }
        let root = decodeObject(objects[0])
        guard !aborted else { return nil }
        skipWhitespace()
        if position < count {
            fail(.invalidJSON("unexpected \(describeByte(at: position)) after the request object"))
        }
        return errors.isEmpty ? root : nil
    }

    // MARK: Errors

    /// Records a problem at the current level (the path is completed by the callers).
    private mutating func record(_ problem: RequestProblem, at offset: Int, path: [PathComponent] = []) {
        errors.append(PendingError(problem: problem, reversedPath: path, offset: offset))
        if errors.count >= limits.maxErrors {
            aborted = true
            truncated = true
        }
    }

    /// Records a problem that stops decoding: malformed JSON or a broken limit.
    private mutating func fail(_ problem: RequestProblem, at offset: Int? = nil) {
        // Text that is not JSON cannot be judged field by field: what was found before
        // the syntax error may be a symptom of it (a missing quote swallowing a field),
        // so the syntax error is reported alone. A broken limit keeps earlier errors.
        if case .invalidJSON = problem { errors.removeAll() }
        errors.append(PendingError(problem: problem, reversedPath: [], offset: offset ?? position))
        aborted = true
    }

    /// Appends a path component to the errors a child added since `mark`.
    @inline(never)
    private mutating func addPath(_ component: PathComponent, since mark: Int) {
        for index in mark..<errors.count { errors[index].reversedPath.append(component) }
    }

    /// Records a type mismatch for the value at the current position and skips it.
    @inline(never)
    private mutating func mismatch(expected: String) {
        let start = position
        let byte = input[position]
        guard skipValue() else { return }
        let found: String
        switch byte {
        case openBrace: found = "an object"
        case openBracket: found = "an array"
        default: found = "`\(quoteUserText(text(start..<position)))`"
        }
        record(.typeMismatch(expected: expected, found: found), at: start)
    }

    /// Records `request-out-of-range` for a value outside its field's range (`below`:
    /// under the minimum, else over the maximum). Out of line: the happy path only tests.
    @inline(never)
    private mutating func outOfRange(_ shape: ValueShape, below: Bool, found: String, at start: Int) {
        let range = plan.ranges[Int(shape.index) - 1]
        record(
            .outOfRange(range: range, belowMinimum: below, isTimestamp: shape.kind == .timestamp, found: quoteUserText(found)),
            at: start)
    }

    private func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(start: input + range.lowerBound, count: range.count), as: UTF8.self)
    }

    private func describeByte(at offset: Int) -> String {
        guard offset < count else { return "end of input" }
        let byte = input[offset]
        if byte >= 0x21, byte < 0x7F { return "`\(Character(Unicode.Scalar(byte)))`" }
        return "byte 0x\(String(byte, radix: 16, uppercase: true))"
    }

    private mutating func syntaxError(expected: String) {
        fail(.invalidJSON("expected \(expected), found \(describeByte(at: position))"))
    }

    // MARK: Structure

    @inline(__always)
    private mutating func skipWhitespace() {
        // Compact JSON (a JSONL line) has no whitespace between tokens: one test, no store.
        guard position < count, input[position] <= 0x20 else { return }
        // Nor more than one space after a `:` or `,` in most other writers' output.
        if input[position] == 0x20, position + 1 < count, input[position + 1] > 0x20 {
            position += 1
            return
        }
        skipWhitespaceRun()
    }

    /// The loop of `skipWhitespace`. A newline is usually followed by indentation, and
    /// runs of spaces are skipped eight bytes at a time: the first byte that differs from
    /// a space is the lowest nonzero byte of the word XOR eight spaces.
    private mutating func skipWhitespaceRun() {
        var index = position
        while index < count {
            var byte = input[index]
            if byte == 0x0A {
                index += 1
                guard index < count else { break }
                byte = input[index]
            }
            if byte == 0x20, index + 8 <= count {
                let word = UInt64(littleEndian: UnsafeRawPointer(input + index).loadUnaligned(as: UInt64.self))
                let differences = word ^ 0x2020_2020_2020_2020
                guard differences != 0 else {
                    index += 8
                    continue
                }
                index += differences.trailingZeroBitCount >> 3
                if input[index] > 0x20 { break }
                continue
            }
            guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { break }
            index += 1
        }
        position = index
    }

    /// Enters an object or array at the current `{` / `[`; false (and stops) when that
    /// is deeper than allowed.
    @inline(__always)
    private mutating func enter() -> Bool {
        depth += 1
        if depth > limits.maxDepth {
            fail(.tooDeep(limit: limits.maxDepth))
            return false
        }
        position += 1
        return true
    }

    /// After an element: true when another follows (`,` consumed), false at the closing
    /// byte (consumed) or on a syntax error (`aborted` set).
    @inline(__always)
    private mutating func nextElement(closer: UInt8) -> Bool {
        skipWhitespace()
        if position < count {
            let byte = input[position]
            if byte == comma {
                position += 1
                return true
            }
            if byte == closer {
                position += 1
                return false
            }
        }
        syntaxError(expected: closer == closeBrace ? "`,` or `}`" : "`,` or `]`")
        return false
    }

    /// Reads `"key":` and returns the decoded key (valid until the next string is read),
    /// with the offset of its opening quote; nil on a syntax error.
    @inline(__always)
    private mutating func readKey() -> (key: UnsafeBufferPointer<UInt8>, offset: Int)? {
        skipWhitespace()
        guard position < count, input[position] == quote else {
            syntaxError(expected: "a field name in double quotes")
            return nil
        }
        let offset = position
        guard let key = scanString(), readColon() else { return nil }
        return (key, offset)
    }

    /// Reads the `:` after a field name and the whitespace around it; false on a syntax error.
    @inline(__always)
    private mutating func readColon() -> Bool {
        skipWhitespace()
        guard position < count, input[position] == colon else {
            syntaxError(expected: "`:` after the field name")
            return false
        }
        position += 1
        skipWhitespace()
        return true
    }

    /// Decodes an object of a declared type; the current byte is `{`.
    private mutating func decodeObject(_ plan: ObjectPlan) -> ObjectValue? {
        let objectStart = position
        guard enter() else { return nil }
        // Values go straight into the slots the object keeps, in its own allocation.
        return ObjectValue.make(type: plan.type) { slots in decodeFields(of: plan, into: slots, objectStart: objectStart) }
    }

    /// The members of an object up to its `}`, then the absent fields' defaults; false
    /// when decoding stopped.
    @inline(__always)
    private mutating func decodeFields(
        of plan: ObjectPlan, into slots: UnsafeMutableBufferPointer<Value?>, objectStart: Int
    ) -> Bool {
        var seen = SlotSet(count: slots.count)
        // The slot after the last one read: checked first, as writers usually follow
        // the schema's order.
        var expectedSlot = 0
        skipWhitespace()
        if position < count, input[position] == closeBrace {
            position += 1
        } else {
            repeat {
                skipWhitespace()
                let keyOffset = position
                let slot: Int
                let matchedLength = position < count && input[position] == quote
                    ? plan.table.keyMatchLength(expectedSlot, input + position + 1, available: count - position - 1) : 0
                if matchedLength > 0 {
                    position += 1 + matchedLength
                    skipWhitespace()
                    slot = expectedSlot
                } else {
                    guard let (key, _) = readKey() else { return false }
                    let hinted = plan.table.matches(expectedSlot, key) ? expectedSlot : nil
                    guard let found = hinted ?? plan.table.index(of: key) else {
                        let name = makeString(key)
                        record(.unknownField(candidates: plan.names), at: keyOffset, path: [.field(name)])
                        guard skipValue(), !aborted else { return false }
                        continue
                    }
                    slot = found
                }
                expectedSlot = slot + 1
                if seen.insert(slot) == false {
                    record(.duplicateField, at: keyOffset, path: [.field(plan.names[slot])])
                    guard skipValue(), !aborted else { return false }
                    continue
                }
                if position < count, input[position] == UInt8(ascii: "n") {
                    // `null` is the same as leaving the field out.
                    let nullOffset = position
                    guard literal("null") else { return false }
                    if case .required = plan.absent[slot] {
                        record(.requiredNull, at: nullOffset, path: [.field(plan.names[slot])])
                        if aborted { return false }
                    }
                    continue
                }
                let mark = errors.count
                // Each slot is written once (a second member of the same name was refused
                // above) over the `nil` it started with: nothing to release first.
                (slots.baseAddress! + slot).initialize(to: decodeValue(plan.shapes[slot]))
                if errors.count > mark {
                    addPath(.field(plan.names[slot]), since: mark)
                    if aborted { return false }
                }
            } while nextElement(closer: closeBrace)
            if aborted { return false }
        }
        depth -= 1
        for slot in slots.indices {
            // A pattern, not `== nil`: the generic Optional comparison goes through
            // value witnesses for a type from another module.
            guard case .none = slots[slot] else { continue }
            switch plan.absent[slot] {
            case .fill(let value): (slots.baseAddress! + slot).initialize(to: value)  // over `nil`
            case .required:
                if !seen.contains(slot) {
                    record(.missingField, at: objectStart, path: [.field(plan.names[slot])])
                    if aborted { return false }
                }
            case .leaveAbsent: break
            }
        }
        return true
    }

    /// Decodes a JSON array into a list; the current byte is `[`.
    private mutating func decodeList(_ element: ValueShape) -> Value? {
        let listStart = position
        guard enter() else { return nil }
        var values: [Value] = []
        skipWhitespace()
        if position < count, input[position] == closeBracket {
            position += 1
        } else {
            var index = 0
            repeat {
                if index == limits.maxListLength {
                    fail(.listTooLong(limit: limits.maxListLength), at: listStart)
                    return nil
                }
                skipWhitespace()
                let mark = errors.count
                let value = decodeValue(element)
                if errors.count > mark {
                    addPath(.index(index), since: mark)
                    if aborted { return nil }
                } else if let value {
                    values.append(value)
                }
                index += 1
            } while nextElement(closer: closeBracket)
            if aborted { return nil }
        }
        depth -= 1
        return .list(values)
    }

    /// Decodes a JSON object into a `map(string, T)`; the current byte is `{`.
    private mutating func decodeMap(_ valueShape: ValueShape) -> Value? {
        guard enter() else { return nil }
        var entries: [(key: Value, value: Value)] = []
        var offsets: [Int] = []
        skipWhitespace()
        if position < count, input[position] == closeBrace {
            position += 1
        } else {
            repeat {
                guard let (keyBytes, keyOffset) = readKey() else { return nil }
                let key = makeString(keyBytes)
                let mark = errors.count
                let value = decodeValue(valueShape)
                if errors.count > mark {
                    addPath(.field(key), since: mark)
                    if aborted { return nil }
                } else if let value {
                    entries.append((.string(key), value))
                    offsets.append(keyOffset)
                }
            } while nextElement(closer: closeBrace)
            if aborted { return nil }
        }
        depth -= 1
        return makeMap(entries, offsets: offsets)
    }

    /// A map from decoded entries; a repeated key is an error, as for object fields.
    private mutating func makeMap(_ entries: [(key: Value, value: Value)], offsets: [Int]) -> Value? {
        do {
            return .map(try MapValue(entries: entries))
        } catch {
            if case .repeatedKey(.string(let key)) = error {
                // Report the second occurrence, where the reader's eye should go.
                let occurrences = entries.indices.filter { if case .string(key) = entries[$0].key { true } else { false } }
                let offset = occurrences.count > 1 ? offsets[occurrences[1]] : offsets[0]
                record(.duplicateField, at: offset, path: [.field(key)])
            }
            return nil
        }
    }

    /// Decodes any JSON value as `dyn`: objects become `map(string, dyn)`, integers `int`
    /// (`uint` above `Int64.max`), other numbers `double`.
    private mutating func decodeAny() -> Value? {
        guard position < count else {
            syntaxError(expected: "a value")
            return nil
        }
        switch input[position] {
        case openBrace:
            return decodeMap(ValueShape(.dyn))
        case openBracket:
            return decodeList(ValueShape(.dyn))
        case quote:
            return scanString().map { .string(makeString($0)) }
        case UInt8(ascii: "t"):
            return literal("true") ? .bool(true) : nil
        case UInt8(ascii: "f"):
            return literal("false") ? .bool(false) : nil
        case UInt8(ascii: "n"):
            return literal("null") ? .null : nil
        default:
            guard let number = scanNumber() else { return nil }
            let text = text(number.range)
            if number.isIntegral {
                if let int = Int64(text) { return .int(int) }
                if let uint = UInt64(text) { return .uint(uint) }
            }
            return .double(Double(text) ?? .infinity)
        }
    }

    /// Decodes one value of a declared shape at the current (non-whitespace) position;
    /// nil after recording an error.
    private mutating func decodeValue(_ shape: ValueShape) -> Value? {
        guard position < count else {
            syntaxError(expected: "a value")
            return nil
        }
        let byte = input[position]
        let start = position
        switch shape.kind {
        case .string:
            guard byte == quote else { break }
            return scanString().map { .string(makeString($0)) }
        case .enumeration:
            guard byte == quote else { break }
            guard let text = scanString() else { return nil }
            if let value = enums[Int(shape.index)].value(spelledBy: text) { return value }
            record(.invalidEnum(values: enums[Int(shape.index)].values, found: makeString(text)), at: start)
            return nil
        case .bool:
            if byte == UInt8(ascii: "t") { return literal("true") ? .bool(true) : nil }
            if byte == UInt8(ascii: "f") { return literal("false") ? .bool(false) : nil }
        case .int, .uint:
            guard byte == minus || (byte &- zero) < 10 else { break }
            guard let number = scanNumber() else { return nil }
            let unsigned = shape.kind == .uint
            guard number.isIntegral else {
                record(.typeMismatch(expected: plan.expectation(shape), found: "`\(quoteUserText(text(number.range)))`"), at: start)
                return nil
            }
            if unsigned {
                if let value = parseUnsigned(number.range) { return .uint(value) }
            } else if let value = parseSigned(number.range) {
                if shape.index != 0, let below = bounds[Int(shape.index) - 1].violation(value) {
                    outOfRange(shape, below: below, found: text(number.range), at: start)
                    return nil
                }
                return .int(value)
            }
            record(.integerOutOfRange(found: quoteUserText(text(number.range)), unsigned: unsigned), at: start)
            return nil
        case .double:
            guard byte == minus || (byte &- zero) < 10 else { break }
            guard let number = scanNumber() else { return nil }
            // Out-of-range literals become ±infinity, as JSON readers conventionally do.
            return .double(Double(text(number.range)) ?? .infinity)
        case .decimal:
            if byte == quote {
                guard let text = scanString() else { return nil }
                if let decimal = CELDecimal(parsingUTF8: text) {
                    if shape.index != 0, let below = bounds[Int(shape.index) - 1].violation(decimal) {
                        outOfRange(shape, below: below, found: makeString(text), at: start)
                        return nil
                    }
                    return .decimal(decimal)
                }
                record(.invalidDecimal(found: makeString(text)), at: start)
                return nil
            }
            guard byte == minus || (byte &- zero) < 10 else { break }
            guard let number = scanNumber() else { return nil }
            let digits = UnsafeBufferPointer(start: input + number.range.lowerBound, count: number.range.count)
            if let decimal = parseDecimalNumber(digits) {
                if shape.index != 0, let below = bounds[Int(shape.index) - 1].violation(decimal) {
                    outOfRange(shape, below: below, found: text(number.range), at: start)
                    return nil
                }
                return .decimal(decimal)
            }
            record(.invalidDecimal(found: text(number.range)), at: start)
            return nil
        case .timestamp:
            guard byte == quote else { break }
            guard let text = scanString() else { return nil }
            if let timestamp = parseTimestamp(text) {
                if shape.index != 0, let below = bounds[Int(shape.index) - 1].violation(timestamp) {
                    outOfRange(shape, below: below, found: makeString(text), at: start)
                    return nil
                }
                return .timestamp(timestamp)
            }
            let found = makeString(text)
            record(.invalidTimestamp(found: found, lacksOffset: isTimestampLackingOffset(text)), at: start)
            return nil
        case .duration:
            guard byte == quote else { break }
            guard let text = scanString() else { return nil }
            let string = makeString(text)
            if let duration = CELDuration(parsing: string) { return .duration(duration) }
            record(.invalidDuration(found: string), at: start)
            return nil
        case .object:
            guard byte == openBrace else { break }
            return decodeObject(objects[Int(shape.index)]).map { .object($0) }
        case .list:
            guard byte == openBracket else { break }
            return decodeList(shapes[Int(shape.index)])
        case .map:
            guard byte == openBrace else { break }
            return decodeMap(shapes[Int(shape.index)])
        case .dyn:
            return decodeAny()
        case .unsupported:
            guard skipValue() else { return nil }
            record(.unsupportedType(plan.unsupported[Int(shape.index)]), at: start)
            return nil
        }
        mismatch(expected: plan.expectation(shape))
        return nil
    }

    // MARK: Tokens

    /// Consumes a literal (`true`, `false`, `null`); false after a syntax error.
    private mutating func literal(_ word: StaticString) -> Bool {
        let length = word.utf8CodeUnitCount
        guard position + length <= count, memoryEqual(input + position, word.utf8Start, length) else {
            fail(.invalidJSON("unexpected \(describeByte(at: position))"))
            return false
        }
        position += length
        // `nullx` must not pass as `null` followed by garbage the caller reports oddly.
        if position < count, isIdentifierByte(input[position]) {
            fail(.invalidJSON("unexpected \(describeByte(at: position))"))
            return false
        }
        return true
    }

    private func isIdentifierByte(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A || (byte &- zero) < 10 || byte == UInt8(ascii: "_")
    }

    /// A JSON number's extent, checked against the RFC 8259 grammar.
    private struct NumberToken {
        var range: Range<Int>
        var isIntegral: Bool
    }

    private mutating func scanNumber() -> NumberToken? {
        let start = position
        if position < count, input[position] == minus { position += 1 }
        guard position < count, (input[position] &- zero) < 10 else {
            fail(.invalidJSON("expected a digit, found \(describeByte(at: position))"))
            return nil
        }
        if input[position] == zero {
            position += 1
            if position < count, (input[position] &- zero) < 10 {
                fail(.invalidJSON("a number must not have leading zeros"))
                return nil
            }
        } else {
            while position < count, (input[position] &- zero) < 10 { position += 1 }
        }
        var integral = true
        if position < count, input[position] == UInt8(ascii: ".") {
            integral = false
            position += 1
            guard position < count, (input[position] &- zero) < 10 else {
                fail(.invalidJSON("expected a digit after the decimal point, found \(describeByte(at: position))"))
                return nil
            }
            while position < count, (input[position] &- zero) < 10 { position += 1 }
        }
        if position < count, input[position] | 0x20 == UInt8(ascii: "e") {
            integral = false
            position += 1
            if position < count, input[position] == minus || input[position] == UInt8(ascii: "+") { position += 1 }
            guard position < count, (input[position] &- zero) < 10 else {
                fail(.invalidJSON("expected a digit in the exponent, found \(describeByte(at: position))"))
                return nil
            }
            while position < count, (input[position] &- zero) < 10 { position += 1 }
        }
        return NumberToken(range: start..<position, isIntegral: integral)
    }

    private func parseSigned(_ range: Range<Int>) -> Int64? {
        var index = range.lowerBound
        let negative = input[index] == minus
        if negative { index += 1 }
        // Accumulate negatively so that Int64.min itself fits.
        var value: Int64 = 0
        while index < range.upperBound {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = times10.subtractingReportingOverflow(Int64(input[index] &- zero))
            guard !o1, !o2 else { return nil }
            value = next
            index += 1
        }
        if negative { return value }
        return value == .min ? nil : -value
    }

    private func parseUnsigned(_ range: Range<Int>) -> UInt64? {
        var index = range.lowerBound
        if input[index] == minus {
            // Only -0 is a non-negative integer.
            return range.count == 2 && input[index + 1] == zero ? 0 : nil
        }
        var value: UInt64 = 0
        while index < range.upperBound {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = times10.addingReportingOverflow(UInt64(input[index] &- zero))
            guard !o1, !o2 else { return nil }
            value = next
            index += 1
        }
        return value
    }

    /// Reads a string at the current `"` and returns its decoded UTF-8 bytes: a view of
    /// the input when the string has no escapes (the common case, no copy), else of
    /// `scratch`. Valid until the next call. Nil after a syntax error: an unterminated
    /// string, a control character, a bad escape or surrogate, or invalid UTF-8.
    @inline(__always)
    private mutating func scanString() -> UnsafeBufferPointer<UInt8>? {
        position += 1
        let start = position
        // Fast path: plain ASCII up to the closing quote, eight bytes at a time while
        // none of them is a quote, a backslash, a control character or non-ASCII.
        while position + 8 <= count {
            let word = UInt64(littleEndian: UnsafeRawPointer(input + position).loadUnaligned(as: UInt64.self))
            let special = specialBytes(in: word)
            if special == 0 {
                position += 8
                continue
            }
            // The lowest flagged byte is exact (the bit tricks only over-flag above it).
            position += special.trailingZeroBitCount >> 3
            if input[position] == quote {
                position += 1
                return UnsafeBufferPointer(start: input + start, count: position - 1 - start)
            }
            return scanStringSlowly(from: start)
        }
        while position < count {
            let byte = input[position]
            if byte == quote {
                position += 1
                return UnsafeBufferPointer(start: input + start, count: position - 1 - start)
            }
            if byte == backslash || byte < 0x20 || byte >= 0x80 { break }
            position += 1
        }
        return scanStringSlowly(from: start)
    }

    @inline(never)
    private mutating func scanStringSlowly(from start: Int) -> UnsafeBufferPointer<UInt8>? {
        var output: UnsafeMutablePointer<UInt8>? = nil  // set once an escape is met
        var written = 0
        while true {
            guard position < count else {
                fail(.invalidJSON("unterminated string"), at: start - 1)
                return nil
            }
            let byte = input[position]
            if byte == quote {
                position += 1
                if let output { return UnsafeBufferPointer(start: output, count: written) }
                return UnsafeBufferPointer(start: input + start, count: position - 1 - start)
            }
            if byte < 0x20 {
                fail(.invalidJSON("control character U+00\(byte < 0x10 ? "0" : "")\(String(byte, radix: 16, uppercase: true)) in a string; write it as an escape"))
                return nil
            }
            if byte >= 0x80 {
                let length = utf8SequenceLength(at: position)
                guard length > 0 else {
                    fail(.invalidJSON("invalid UTF-8"))
                    return nil
                }
                if let output {
                    for k in 0..<length { output[written + k] = input[position + k] }
                    written += length
                }
                position += length
                continue
            }
            if byte != backslash {
                output?[written] = byte
                if output != nil { written += 1 }
                position += 1
                continue
            }
            if output == nil {
                output = scratch.reserve(count - start)
                written = position - start
                output!.update(from: input + start, count: written)
            }
            let escapeStart = position
            position += 1
            guard position < count else {
                fail(.invalidJSON("unterminated string"), at: start - 1)
                return nil
            }
            let escaped = input[position]
            position += 1
            var scalar: UInt32
            switch escaped {
            case quote, backslash, UInt8(ascii: "/"): scalar = UInt32(escaped)
            case UInt8(ascii: "b"): scalar = 0x08
            case UInt8(ascii: "f"): scalar = 0x0C
            case UInt8(ascii: "n"): scalar = 0x0A
            case UInt8(ascii: "r"): scalar = 0x0D
            case UInt8(ascii: "t"): scalar = 0x09
            case UInt8(ascii: "u"):
                guard let unit = hex4() else { return nil }
                scalar = unit
                if unit >= 0xD800, unit < 0xDC00 {
                    // A high surrogate must be followed by an escaped low surrogate.
                    guard position + 1 < count, input[position] == backslash, input[position + 1] == UInt8(ascii: "u")
                    else {
                        fail(.invalidJSON("unpaired surrogate `\\u\(hexText(unit))` in a string"), at: escapeStart)
                        return nil
                    }
                    position += 2
                    guard let low = hex4() else { return nil }
                    guard low >= 0xDC00, low < 0xE000 else {
                        fail(.invalidJSON("unpaired surrogate `\\u\(hexText(unit))` in a string"), at: escapeStart)
                        return nil
                    }
                    scalar = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                } else if unit >= 0xDC00, unit < 0xE000 {
                    fail(.invalidJSON("unpaired surrogate `\\u\(hexText(unit))` in a string"), at: escapeStart)
                    return nil
                }
            default:
                fail(.invalidJSON("invalid escape `\\\(quoteUserText(String(decoding: [escaped], as: UTF8.self)))` in a string"), at: escapeStart)
                return nil
            }
            written += encodeUTF8(scalar, into: output! + written)
        }
    }

    private func hexText(_ unit: UInt32) -> String {
        let digits = String(unit, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    private mutating func hex4() -> UInt32? {
        guard position + 4 <= count else {
            fail(.invalidJSON("a `\\u` escape needs four hex digits"))
            return nil
        }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = input[position]
            let digit: UInt8
            switch byte {
            case zero...UInt8(ascii: "9"): digit = byte - zero
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default:
                fail(.invalidJSON("a `\\u` escape needs four hex digits"))
                return nil
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    /// The length of the well-formed UTF-8 sequence at `offset` (2 … 4), or 0 if it is
    /// malformed: truncated, overlong, a surrogate, or above U+10FFFF (RFC 3629).
    private func utf8SequenceLength(at offset: Int) -> Int {
        let lead = input[offset]
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: return 0
        }
        guard offset + length <= count else { return 0 }
        let second = input[offset + 1]
        guard second >= low, second <= high else { return 0 }
        for k in 2..<length where input[offset + k] & 0xC0 != 0x80 { return 0 }
        return length
    }

    private func encodeUTF8(_ scalar: UInt32, into output: UnsafeMutablePointer<UInt8>) -> Int {
        switch scalar {
        case 0..<0x80:
            output[0] = UInt8(scalar)
            return 1
        case 0x80..<0x800:
            output[0] = UInt8(0xC0 | scalar >> 6)
            output[1] = UInt8(0x80 | scalar & 0x3F)
            return 2
        case 0x800..<0x10000:
            output[0] = UInt8(0xE0 | scalar >> 12)
            output[1] = UInt8(0x80 | scalar >> 6 & 0x3F)
            output[2] = UInt8(0x80 | scalar & 0x3F)
            return 3
        default:
            output[0] = UInt8(0xF0 | scalar >> 18)
            output[1] = UInt8(0x80 | scalar >> 12 & 0x3F)
            output[2] = UInt8(0x80 | scalar >> 6 & 0x3F)
            output[3] = UInt8(0x80 | scalar & 0x3F)
            return 4
        }
    }

    // MARK: Skipping

    /// Skips one JSON value (checking its syntax and depth, building nothing): the value
    /// of an unknown field or one of the wrong kind. False after a fatal error.
    private mutating func skipValue() -> Bool {
        guard position < count else {
            syntaxError(expected: "a value")
            return false
        }
        switch input[position] {
        case openBrace:
            guard enter() else { return false }
            skipWhitespace()
            if position < count, input[position] == closeBrace {
                position += 1
            } else {
                repeat {
                    guard readKey() != nil, skipValue() else { return false }
                } while nextElement(closer: closeBrace)
                if aborted { return false }
            }
            depth -= 1
            return true
        case openBracket:
            guard enter() else { return false }
            skipWhitespace()
            if position < count, input[position] == closeBracket {
                position += 1
            } else {
                repeat {
                    skipWhitespace()
                    guard skipValue() else { return false }
                } while nextElement(closer: closeBracket)
                if aborted { return false }
            }
            depth -= 1
            return true
        case quote: return scanString() != nil
        case UInt8(ascii: "t"): return literal("true")
        case UInt8(ascii: "f"): return literal("false")
        case UInt8(ascii: "n"): return literal("null")
        case minus, zero...UInt8(ascii: "9"): return scanNumber() != nil
        default:
            fail(.invalidJSON("unexpected \(describeByte(at: position))"))
            return false
        }
    }
}

/// The high bit of every byte of `word` that is `"`, `\\`, below 0x20 or above 0x7F
/// (exact for the lowest such byte; bytes above it may be flagged spuriously).
@inline(__always)
private func specialBytes(in word: UInt64) -> UInt64 {
    let ones: UInt64 = 0x0101_0101_0101_0101
    let highs: UInt64 = 0x8080_8080_8080_8080
    let quotes = word ^ (ones &* UInt64(quote))
    let backslashes = word ^ (ones &* UInt64(backslash))
    let hasQuote = (quotes &- ones) & ~quotes
    let hasBackslash = (backslashes &- ones) & ~backslashes
    let hasControl = (word &- ones &* 0x20) & ~word
    return (hasQuote | hasBackslash | hasControl | word) & highs
}

/// A `String` of scanned UTF-8 bytes, as `String(decoding:as:)` makes it, for about two
/// thirds of the cost on short strings (measured).
@inline(__always)
private func makeString(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
    String(unsafeUninitializedCapacity: bytes.count) { $0.initialize(fromContentsOf: bytes) }
}

/// Which slots of an object were seen: a bit set, inline for up to 64 fields.
private struct SlotSet {
    private var bits: UInt64 = 0
    private var overflow: [Bool]

    init(count: Int) {
        overflow = count > 64 ? [Bool](repeating: false, count: count - 64) : []
    }

    /// Inserts `slot`; false if it was already there.
    @inline(__always)
    mutating func insert(_ slot: Int) -> Bool {
        if slot < 64 {
            let mask: UInt64 = 1 << UInt64(slot)
            defer { bits |= mask }
            return bits & mask == 0
        }
        defer { overflow[slot - 64] = true }
        return !overflow[slot - 64]
    }

    @inline(__always)
    func contains(_ slot: Int) -> Bool {
        slot < 64 ? bits & (1 << UInt64(slot)) != 0 : overflow[slot - 64]
    }
}
