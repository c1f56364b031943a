/// `--window` or `--skip-dates` without a zone for some jobs: a run refuses rather than use the machine's zone.
public struct WindowZoneError: Error, Sendable, Equatable, CustomStringConvertible {
    var jobsWithoutZone: Int

    public var description: String {
        "\(jobsWithoutZone) queued job(s) have no time zone (no timezone column in their row, no --timezone at "
            + "import), and --window and --skip-dates need each recipient's local time: pass --timezone ZONE to campaign run "
            + "(e.g. --timezone America/New_York) to call them in that zone, or import them with a timezone column"
    }
}
