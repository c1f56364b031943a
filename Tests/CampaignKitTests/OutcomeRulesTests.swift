import Foundation
import Testing

@testable import CampaignKit

@Suite("OutcomeRules")
struct OutcomeRulesTests {
    func completion(_ summary: String?) -> CallCompletion {
        CallCompletion(summary: summary, recordingURL: nil, rawJSON: "{}")
    }

    @Test(
        "default labels from the summary",
        arguments: [
            ("Reached voicemail and left the message.", "voicemail"),
            ("The call went to an answering machine.", "voicemail"),
            ("No answer after 30 seconds.", "no_answer"),
            ("The callee did not pick up.", "no_answer"),
            ("Line was busy.", "busy"),
            ("Ana confirmed the table for four on Friday.", "answered"),
            ("The callee asked not to be called again.", "opt_out"),
            ("She said she does not want to be contacted anymore.", "opt_out"),
            ("He told us to stop calling.", "opt_out"),
            ("Please remove my number from your list, he said.", "opt_out"),
            ("They asked us to remove their number from the list.", "opt_out"),
            ("Do not call me again.", "opt_out"),
            ("Take me off your list!", "opt_out"),
            ("The customer opted out of further calls.", "opt_out"),
            ("Reached voicemail; the greeting says do not call after 9pm.", "voicemail"),
            ("He asked us to call back on Monday; confirmed for Friday.", "answered"),
            ("Spoke with the callee; they asked us to stop calling and to remove their number.", "opt_out"),
        ])
    func defaults(summary: String, label: String) {
        #expect(OutcomeRules().label(for: completion(summary)) == label)
    }

    @Test("ended without a completion event is no_result")
    func noResult() {
        #expect(OutcomeRules().label(for: nil) == "no_result")
    }

    @Test("user rules come first, in file order")
    func userRules() throws {
        let rules = try OutcomeRules(
            parsing: "# comment\n\nconfirmed: \\bconfirm(ed)?\\b\ncancelled: cancel\nwrong_number: voicemail\n",
            file: "rules.txt")
        #expect(rules.label(for: completion("She confirmed, then asked to cancel.")) == "confirmed")
        #expect(rules.label(for: completion("They want to CANCEL.")) == "cancelled")
        #expect(rules.label(for: completion("Voicemail of a stranger.")) == "wrong_number")
        #expect(rules.label(for: completion("Spoke to Ben.")) == "answered")
    }

    @Test(
        "bad rules files name file and line",
        arguments: [
            ("ok: yes\nbad: ([a\n", "rules.txt:2: the regular expression"),
            ("just text\n", "rules.txt:1: 'just text' is not a rule"),
            ("Bad Label: x\n", "rules.txt:1: 'Bad Label' is not a label"),
            ("\n\nempty:\n", "rules.txt:3:"),
        ])
    func badRules(text: String, message: String) {
        do {
            _ = try OutcomeRules(parsing: text, file: "rules.txt")
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.description.hasPrefix(message), "\(error)")
        }
    }
}
