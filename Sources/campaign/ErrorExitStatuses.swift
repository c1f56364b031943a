import ArgumentParser
import CampaignKit
import PokuSimulator

// Every error type the commands can meet, and its exit status: the one place they are chosen
// (docs/ARCHITECTURE.md, "Exit statuses"). `ExitStatusTests` fails when a public error type of CampaignKit
// or PokuSimulator has no line here. Usage (2): a flag's value; bad data (65): the files' contents;
// failure (1): the run, the database, the API.

extension ImportError: ExitCoded {
    var exitStatus: ExitCode {
        switch self {
        case .csv(let error): error.exitStatus
        case .template(let error): error.exitStatus
        case .badOption, .campaignDefaultDiffers, .unknownPhoneColumn: ExitStatus.usage
        case .cannotWrite: ExitStatus.failure
        case .emptyFile, .duplicateColumn, .blankColumn, .noPhoneColumn, .campaignColumnsDiffer,
            .campaignPromptDiffers, .badSuppression, .controlCharacter, .badSuppressedNumber:
            ExitStatus.badData
        }
    }
}

extension CSVError: ExitCoded { var exitStatus: ExitCode { ExitStatus.badData } }
extension TemplateError: ExitCoded { var exitStatus: ExitCode { ExitStatus.badData } }
extension PhoneProblem: ExitCoded { var exitStatus: ExitCode { ExitStatus.badData } }
extension OptionProblem: ExitCoded { var exitStatus: ExitCode { ExitStatus.badData } }
extension PromptTemplate.EmptyValues: ExitCoded { var exitStatus: ExitCode { ExitStatus.badData } }
/// `--region`: the only way a region reaches the code.
extension PhoneRegionError: ExitCoded { var exitStatus: ExitCode { ExitStatus.usage } }

/// Every store error, however it arrives (on its own, inside `DispatchError.store`), is a failure.
extension StoreError: ExitCoded {
    var exitStatus: ExitCode {
        if case .database(let inner as any ExitCoded) = self { return inner.exitStatus }
        return ExitStatus.failure
    }
}

extension DispatchStoreError: ExitCoded { var exitStatus: ExitCode { ExitStatus.failure } }
/// A PostgreSQL `--db` URL that does not parse, or a database that cannot be opened: the database's failure.
extension DatabaseURLError: ExitCoded { var exitStatus: ExitCode { ExitStatus.failure } }
extension PostgresStoreError: ExitCoded { var exitStatus: ExitCode { ExitStatus.failure } }

extension DispatchError: ExitCoded {
    var exitStatus: ExitCode {
        if case .store(let error) = self { return error.exitStatus }
        return ExitStatus.failure
    }
}

extension RunLockError: ExitCoded { var exitStatus: ExitCode { ExitStatus.failure } }
extension ReportError: ExitCoded { var exitStatus: ExitCode { ExitStatus.failure } }
extension CallingError: ExitCoded { var exitStatus: ExitCode { ExitStatus.failure } }
extension PokuSimulatorError: ExitCoded { var exitStatus: ExitCode { ExitStatus.failure } }

extension OutputPathError: ExitCoded { var exitStatus: ExitCode { ExitStatus.usage } }
extension DurationParseError: ExitCoded { var exitStatus: ExitCode { ExitStatus.usage } }
extension RetryPolicyError: ExitCoded { var exitStatus: ExitCode { ExitStatus.usage } }
extension OutcomeRulesError: ExitCoded { var exitStatus: ExitCode { ExitStatus.usage } }
extension CallingWindowError: ExitCoded { var exitStatus: ExitCode { ExitStatus.usage } }
extension RatePacerError: ExitCoded { var exitStatus: ExitCode { ExitStatus.usage } }
extension ContactPressureError: ExitCoded { var exitStatus: ExitCode { ExitStatus.usage } }
extension WindowZoneError: ExitCoded { var exitStatus: ExitCode { ExitStatus.usage } }
extension APIAccessError: ExitCoded { var exitStatus: ExitCode { ExitStatus.usage } }
extension FileDescriptorLimitError: ExitCoded { var exitStatus: ExitCode { ExitStatus.usage } }
extension SimulatorScriptError: ExitCoded { var exitStatus: ExitCode { ExitStatus.usage } }
extension RunOptionError: ExitCoded { var exitStatus: ExitCode { ExitStatus.usage } }
