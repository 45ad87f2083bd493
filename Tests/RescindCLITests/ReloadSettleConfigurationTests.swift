import Foundation
import Testing

@testable import rescind
import RescindServer

/// `--reload-settle` / `RESCIND_RELOAD_SETTLE`: flag, then variable, then 1 second.
@Suite struct ReloadSettleConfigurationTests {
    func settle(_ arguments: [String], _ environment: [String: String]) throws -> Double {
        try ServeCommand.parse(arguments).serverConfiguration(environment: environment).reloadSettle
    }

    @Test func flagBeatsEnvironmentBeatsDefault() throws {
        #expect(try settle([], [:]) == 1)
        #expect(try settle([], ["RESCIND_RELOAD_SETTLE": "2.5"]) == 2.5)
        #expect(try settle(["--reload-settle", "0"], ["RESCIND_RELOAD_SETTLE": "2.5"]) == 0)
    }

    @Test func negativeOrNonNumbersAreUsageErrors() throws {
        for (value, mention) in [("-1", "`-1.0`"), ("soon", "`soon`")] {
            let error = #expect(throws: (any Error).self) { try settle([], ["RESCIND_RELOAD_SETTLE": value]) }
            #expect(error.map { "\($0)".contains(mention) } == true, "\(String(describing: error))")
        }
    }
}
