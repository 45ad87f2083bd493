// libFuzzer entry point for Rescind's input-facing stages: `yaml` (RescindYAML loader and
// accessors) and `cel` (parse, check, plan, evaluate, unparse through the CEL façade).
//
// Build (lld: the default gold linker stops with "internal error in format_file_lineno"):
//
//   swift build --scratch-path .build-fuzz --product RescindFuzz \
//       -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -use-ld=lld
//
// Run, one target at a time (each takes a core). The first directory is the working
// corpus libFuzzer adds to; the others are read-only seeds. Keep both outside the
// repository (e.g. YAML snippets and `expr` strings from the CEL conformance files).
// `-dict=FILE` (tokens such as `.matches(` or `&a `) is optional but helps.
//
//   mkdir -p /tmp/corpus-yaml /tmp/corpus-cel /tmp/fuzz-artifacts
//   SWIFT_BACKTRACE=enable=no .build-fuzz/debug/RescindFuzz yaml -max_total_time=600 -timeout=10 \
//       -rss_limit_mb=2048 -artifact_prefix=/tmp/fuzz-artifacts/yaml- /tmp/corpus-yaml /tmp/seed-yaml
//   SWIFT_BACKTRACE=enable=no .build-fuzz/debug/RescindFuzz cel -max_total_time=600 -timeout=10 \
//       -rss_limit_mb=2048 -artifact_prefix=/tmp/fuzz-artifacts/cel- /tmp/corpus-cel /tmp/seed-cel
//
// SWIFT_BACKTRACE=enable=no lets libFuzzer see the crash (the Swift backtracer would
// take the signal). Reproduce or minimize a saved input with the same binary:
//
//   SWIFT_BACKTRACE=enable=no .build-fuzz/debug/RescindFuzz cel /tmp/fuzz-artifacts/cel-crash-…
//   SWIFT_BACKTRACE=enable=no .build-fuzz/debug/RescindFuzz cel -minimize_crash=1 -runs=10000 CRASH
//
// Without -DFUZZING (a normal `swift build`) the executable runs each file named on the
// command line through the chosen target once: `.build/debug/RescindFuzz cel FILE…`.

#if canImport(Glibc)
import Glibc
#endif

/// The environment variable that passes the target on to libFuzzer's child processes.
private let targetVariable = "RESCIND_FUZZ_TARGET"

/// Which stage the fuzzer drives; set once from argv before the driver starts.
nonisolated(unsafe) private var selectedTarget: (UnsafeRawBufferPointer) -> Void = fuzzYAML

private func select(_ name: String) -> ((UnsafeRawBufferPointer) -> Void)? {
    switch name {
    case "yaml": fuzzYAML
    case "cel": fuzzCEL
    case "request": fuzzRequest
    case "policies": fuzzPolicies
    case "tar": fuzzTar
    case "replay": fuzzReplay
    default: nil
    }
}

@main
enum FuzzMain {
    static func main() {
        var arguments = CommandLine.arguments
        if arguments.count >= 2, let target = select(arguments[1]) {
            selectedTarget = target
            // libFuzzer re-runs this executable for -merge, -minimize_crash, -fork and
            // -jobs with the arguments it was given, which no longer name the target:
            // the children find it in the environment.
            setenv(targetVariable, arguments[1], 1)
            arguments.remove(at: 1)
        } else if let name = getenv(targetVariable), let target = select(String(cString: name)) {
            selectedTarget = target
        } else {
            print("usage: RescindFuzz yaml|cel|request|policies|tar|replay [libFuzzer options | input files…]")
            exit(64)
        }
        #if FUZZING
        runLibFuzzer(arguments)
        #else
        for path in arguments.dropFirst() {
            guard let file = fopen(path, "rb") else {
                let message = "cannot open \(path)\n"
                _ = message.withCString { write(STDERR_FILENO, $0, strlen($0)) }
                exit(66)
            }
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
