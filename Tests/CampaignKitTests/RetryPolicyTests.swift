import Foundation
import Testing

@testable import CampaignKit

@Suite("RetryPolicy")
struct RetryPolicyTests {
    let end = Date(utc: "2026-06-01T12:00:00.000Z")
    let policy = RetryPolicy()

    @Test(
        "exponential delay from 30m, no jitter at 0.5",
        arguments: [(1, 1800.0), (2, 3600.0)])
    func exponential(attempt: Int, seconds: Double) {
        #expect(policy.nextAttempt(after: end, outcome: "no_answer", attempt: attempt) == .retry(at: end + seconds))
    }

    @Test(
        "jitter spreads ±20% from the injected random unit", arguments: [(0.0, 1440.0), (1.0, 2160.0), (0.75, 1980.0)])
    func jitter(unit: Double, seconds: Double) {
        let decision = policy.nextAttempt(after: end, outcome: "busy", attempt: 1, randomUnit: unit)
        guard case .retry(let at) = decision else { Issue.record("\(decision)"); return }
        #expect(abs(at.timeIntervalSince(end) - seconds) < 0.001)
    }

    @Test(
        "final outcomes are done; retryable ones run out",
        arguments: [
            ("answered", 1, RetryPolicy.Decision.done), ("voicemail", 1, .done), ("no_result", 3, .exhausted),
            ("busy", 3, .exhausted),
        ])
    func decisions(outcome: String, attempt: Int, expected: RetryPolicy.Decision) {
        #expect(policy.nextAttempt(after: end, outcome: outcome, attempt: attempt) == expected)
    }

    @Test("--retry-on changes what is retried")
    func retryOn() throws {
        let custom = RetryPolicy(retryableOutcomes: try RetryPolicy.outcomes(fromList: "voicemail, busy"))
        #expect(custom.nextAttempt(after: end, outcome: "voicemail", attempt: 1) == .retry(at: end + 1800))
        #expect(custom.nextAttempt(after: end, outcome: "no_answer", attempt: 1) == .done)
    }

    @Test("bad --retry-on lists are refused", arguments: ["", "No Answer", "busy,,x", "a-b"])
    func badList(text: String) {
        #expect(throws: RetryPolicyError.self) { try RetryPolicy.outcomes(fromList: text) }
    }
}
