import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import RescindLoadKit
@testable import RescindServer

/// The load generator's own arithmetic: what the benchmark figures rest on.
@Suite struct LoadKitTests {
    @Test func histogramPercentilesAreWithinOnePercent() {
        var histogram = LatencyHistogram()
        for value in 1...100_000 { histogram.record(UInt64(value) * 1_000) }  // 1 µs … 100 ms, uniform
        #expect(histogram.count == 100_000)
        #expect(histogram.min == 1_000 && histogram.max == 100_000_000)
        for (fraction, exact) in [(0.5, 50_000_000.0), (0.9, 90_000_000.0), (0.99, 99_000_000.0), (0.999, 99_900_000.0)] {
            let reported = Double(histogram.percentile(fraction))
            #expect(reported >= exact && reported <= exact * 1.01, "p\(fraction * 100): \(reported)")
        }
        #expect(abs(histogram.mean - 50_000_500) < 1)
        var other = LatencyHistogram()
        other.record(7)
        histogram.merge(other)
        #expect(histogram.min == 7 && histogram.percentile(0) == 7)
    }

    @Test func bucketsCoverEveryValue() {
        for value: UInt64 in [0, 1, 127, 128, 129, 255, 256, 1 << 20, 123_456_789, .max] {
            let index = LatencyHistogram.index(value)
            #expect(LatencyHistogram.upperBound(index) >= value)
            #expect(index == 0 || LatencyHistogram.upperBound(index - 1) < value)
        }
    }

    @Test func responseHeads() {
        func head(_ text: String) -> ResponseHead? {
            Array(text.utf8).withUnsafeBytes { parseHead($0[...]) }
        }
        let okHead = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\ncontent-length: 12\r\n\r\n"
        let ok = head(okHead + "{\"a\":")
        #expect(ok?.status == 200 && ok?.contentLength == 12 && ok?.close == false)
        #expect(ok?.bodyStart == okHead.utf8.count)
        let closing = head("HTTP/1.1 413 Content Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
        #expect(closing?.status == 413 && closing?.contentLength == 0 && closing?.close == true)
        #expect(head("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n") == nil)  // the head is not complete yet
        #expect(head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")?.contentLength == nil)
    }

    /// An open loop starts its requests on schedule, not as fast as the server answers:
    /// 2 s at 50 requests/s over 4 connections against a live server (debug build, the
    /// suite's other tests running beside it) starts at most the 100 due, where a closed
    /// loop sends hundreds a second. Requests still waiting for a connection at the end
    /// are not sent, so on a busy machine far fewer may go out.
    @Test(.timeLimit(.minutes(1))) func anOpenLoopKeepsItsRate() async throws {
        let (app, _) = Fixture.app()
        let body = Array(try Fixture.request("buyer-paid-card").utf8)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let request = LoadRequest(
                path: "/v1/decisions", host: "localhost", headers: [("Content-Type", "application/json")], body: body)
            let configuration = LoadConfiguration(
                host: "localhost", port: port, connections: 4, threads: 2, duration: 2, warmup: 0.5, timeout: 5,
                requests: [request], rate: 50)
            // The upper bound is the property: every run starts at most the 100 due (and one
            // at the edge). The floor says the pacer sends at all; a 2-s window on a
            // saturated 2-core machine can starve (24 and then 0 requests were seen while
            // other builds ran), so up to three windows are tried for it.
            var best = 0
            for _ in 0..<3 where best < 10 {
                let result = try await withCheckedThrowingContinuation { continuation in
                    Thread { continuation.resume(with: Result { try runLoad(configuration) }) }.start()
                }
                #expect(result.failures == 0, "\(result.errorMessages)")
                #expect(result.requests <= 101, "\(result.requests) requests")
                #expect(result.sendDelay.count == UInt64(result.requests))
                #expect(result.latency.count == UInt64(result.requests))
                best = max(best, result.requests)
            }
            #expect(best >= 10, "\(best) requests in the best of three windows")
        }
    }
}
