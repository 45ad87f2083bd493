// libFuzzer entry point for Rescind's input-facing stages.
//
//   swift build --scratch-path .build-fuzz -c debug --product RescindFuzz \
//       -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING
//   SWIFT_BACKTRACE=enable=no .build-fuzz/debug/RescindFuzz yaml -max_total_time=600 fuzz-corpus-yaml
//   SWIFT_BACKTRACE=enable=no .build-fuzz/debug/RescindFuzz cel  -max_total_time=600 fuzz-corpus-cel
//
// Without -DFUZZING the executable runs each file named on the command line through
// the chosen target once, which reproduces a crash from a saved input.

#if canImport(Glibc)
import Glibc
#endif

/// Which stage the fuzzer drives; set once from argv before the driver starts.
nonisolated(unsafe) private var selectedTarget: (UnsafeRawBufferPointer) -> Void = fuzzYAML

private func select(_ name: String) -> ((UnsafeRawBufferPointer) -> Void)? {
    switch name {
    case "yaml": fuzzYAML
    case "cel": fuzzCEL
    default: nil
    }
}

@main
enum FuzzMain {
    static func main() {
        var arguments = CommandLine.arguments
        guard arguments.count >= 2, let target = select(arguments[1]) else {
            print("usage: RescindFuzz yaml|cel [libFuzzer options | input files…]")
            exit(64)
        }
        selectedTarget = target
        arguments.remove(at: 1)
        #if FUZZING
        runLibFuzzer(arguments)
        #else
        for path in arguments.dropFirst() {
            guard let file = fopen(path, "rb") else { continue }
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = fread(&buffer, 1, buffer.count, file)
                if n <= 0 { break }
                bytes.append(contentsOf: buffer[0..<n])
            }
            fclose(file)
            bytes.withUnsafeBytes { selectedTarget($0) }
            print("ran \(path)")
        }
        #endif
    }
}

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

/// The per-input callback. `-sanitize=fuzzer` links all of libFuzzer, including its own
/// `main`, which references this symbol; SwiftPM's `--defsym main=RescindFuzz_main`
/// makes ours the entry point, so libFuzzer's `main` never runs, but the symbol must
/// exist for the link (with lld) to succeed. The driver gets the same function.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    selectedTarget(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

/// LeakSanitizer suppressions, read by the sanitizer runtime at start-up (this symbol
/// overrides its weak default). Both are allocations LeakSanitizer cannot see the
/// owner of, not leaks:
/// - one-time initialization of Swift globals (`swift_once`): boxed payloads of
///   indirect enums such as `CELType` are referenced through pointers carrying enum
///   tag bits, which the leak scanner does not recognise;
/// - the ICU regular expression Foundation allocates inside `NSRegularExpression`
///   (reported after `matches` with a constant pattern, yet compiling 200,000
///   distinct patterns in a loop does not grow the process: it is released).
@_cdecl("__lsan_default_suppressions")
public func leakSanitizerSuppressions() -> UnsafePointer<CChar> {
    let text: StaticString = "leak:swift::threading_impl::once_slow\nleak:_CFRegularExpressionCreate\n"
    return UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self)
}

private func runLibFuzzer(_ arguments: [String]) -> Never {
    var argc = CInt(arguments.count)
    var cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    let status = cArguments.withUnsafeMutableBufferPointer { buffer -> CInt in
        var argv = buffer.baseAddress!
        return LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput)
    }
    exit(status)
}
#endif
