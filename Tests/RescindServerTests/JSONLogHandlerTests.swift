import Foundation
import Logging
import Synchronization
import Testing

@testable import RescindServer

/// `--log-format json`: one object per line, fixed keys first, metadata flattened.
@Suite struct JSONLogHandlerTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        func append(_ bytes: [UInt8]) { lines.withLock { $0.append(String(decoding: bytes, as: UTF8.self)) } }
        var all: [String] { lines.withLock { $0 } }
    }

    func logger(_ lines: Lines, provider: Logger.MetadataProvider? = nil) -> Logger {
        Logger(label: "rescind.test") { label in
            JSONLogHandler(label: label, metadataProvider: provider, output: lines.append)
        }
    }

    @Test func lineShape() throws {
        let lines = Lines()
        var logger = logger(lines, provider: Logger.MetadataProvider { ["trace": "t-1", "policy": "from-provider"] })
        logger[metadataKey: "instance"] = "a"
        logger.info(
            "policies loaded",
            metadata: [
                "policy": "marketplace-cancellations", "digest": "2f57", "message": "shadowing",
                "reload": ["trigger": "sighup", "count": "2"], "files": ["a.yaml", "b.yaml"], "quote": "say \"hi\"\n",
            ])
        logger.debug("not at info")
        let line = try #require(lines.all.first)
        #expect(lines.all.count == 1)
        #expect(line.hasSuffix("}\n"))
        #expect(line.dropLast().contains("\n") == false)
        let keys = members(String(line.dropLast())).map(\.key)
        #expect(keys == [
            "timestamp", "level", "label", "message", "digest", "files", "instance", "metadata.message", "policy",
            "quote", "reload.count", "reload.trigger", "trace", "source",
        ])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect((object["timestamp"] as? String)?.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z/) != nil)
        #expect(object["level"] as? String == "info")
        #expect(object["label"] as? String == "rescind.test")
        #expect(object["message"] as? String == "policies loaded")
        #expect(object["metadata.message"] as? String == "shadowing")
        #expect(object["policy"] as? String == "marketplace-cancellations")  // the call's beats the provider's
        #expect(object["reload.trigger"] as? String == "sighup")
        #expect(object["files"] as? [String] == ["a.yaml", "b.yaml"])
        #expect(object["quote"] as? String == "say \"hi\"\n")
        #expect(object["source"] as? String == "RescindServerTests")
    }

    @Test func levelsAndErrors() throws {
        let lines = Lines()
        var logger = logger(lines)
        logger.logLevel = .trace
        struct Failure: Error, CustomStringConvertible { var description: String { "disk full" } }
        logger.error("decision log write failed", error: Failure())
        logger.trace("fine detail")
        let objects = try lines.all.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(objects.map { $0["level"] as? String } == ["error", "trace"])
        #expect(objects[0]["error"] as? String == "disk full")
    }
}
