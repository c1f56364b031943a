import ArgumentParser
@testable import CampaignKit
import Foundation
import Testing

@testable import campaign

/// `run`'s flag values are typed and read as the command line is parsed, before anything is opened.
@Suite("run flags")
struct RunFlagTests {
    @Test("the defaults are the documented ones")
    func defaults() throws {
        let command = try RunCommand.parse([])
        let configuration = try command.makeConfiguration()
        #expect(configuration.pollInterval == .seconds(5))
        #expect(configuration.retry.baseDelay == .seconds(30 * 60))
        #expect(configuration.retry.retryableOutcomes == ["no_answer", "busy", "no_result"])
        #expect(configuration.gracePeriod == .seconds(60))
        #expect(configuration.maxCallDuration == .seconds(30 * 60))
        #expect(command.simulateCallDuration.value == .seconds(3))
        #expect(configuration.window == nil && configuration.rate == nil && configuration.defaultTimeZone == nil)
    }

    @Test("values are read into their types; the text a user wrote is kept for messages")
    func typed() throws {
        let command = try RunCommand.parse([
            "--rate", "2/s", "--window", "09:00-20:00", "--timezone", "Europe/Paris", "--grace-period", "90s",
            "--retry-on", "busy",
        ])
        #expect(command.rate?.callsPerMinute == 120)
        #expect(command.window == (try CallingWindow(parsing: "09:00-20:00")))
        #expect(command.timezone?.identifier == "Europe/Paris")
        #expect(command.gracePeriod.value == .seconds(90) && command.gracePeriod.text == "90s")
        #expect(command.retryOn == ["busy"])
    }

    @Test("--window and --skip-dates combine; skip dates alone close those dates and leave every other day open")
    func windowAndSkipDates() throws {
        let christmas = LocalDate(year: 2026, month: 12, day: 25)!
        let both = try RunCommand.parse(["--window", "Mon-Fri 09:00-20:00", "--skip-dates", "2026-12-25"])
        var expected = try CallingWindow(parsing: "Mon-Fri 09:00-20:00")
        expected.skipDates = [christmas]
        #expect(try both.makeConfiguration().window == expected)
        let alone = try RunCommand.parse(["--skip-dates", "2026-12-25"])
        #expect(
            try alone.makeConfiguration().window
                == CallingWindow(startMinute: 0, endMinute: 1440, skipDates: [christmas]))
        #expect(try RunCommand.parse(["--window", "09:00-20:00"]).makeConfiguration().window?.skipDates == [])
    }

    @Test(
        "a bad value fails parsing, with what is accepted",
        arguments: [
            (["--retry-delay", "soon"], "30m"), (["--retry-delay", "8d"], "0s to 7d"), (["--rate", "fast"], "N/min"),
            (["--window", "9-20"], "HH:MM-HH:MM"), (["--window", "Mon-Xyz 09:00-10:00"], "'Xyz' is not a day"),
            (["--skip-dates", "2026-12-32"], "YYYY-MM-DD"), (["--skip-dates", "@/nonexistent/dates"], "cannot read"),
            (["--timezone", "Mars/Olympus"], "IANA"),
            (["--retry-on", "No Answer"], "no_answer"), (["--max-attempts", "0"], "1 to 100"),
            (["--max-parallel", "0"], "at least 1"), (["--simulate-call-duration", "inf"], "0s to 1h"),
        ])
    func refused(flags: [String], hint: String) {
        do {
            _ = try RunCommand.parse(flags)
            Issue.record("\(flags) was accepted")
        } catch {
            #expect(RunCommand.exitCode(for: error) == .validationFailure, "\(flags)")
            #expect(RunCommand.message(for: error).contains(hint), "\(RunCommand.message(for: error))")
        }
    }
}
