import Foundation

/// JSON text for the simulator's answers: objects with sorted keys, no spaces, `/` not escaped, as
/// `JSONSerialization` with `.sortedKeys` and `.withoutEscapingSlashes` writes them.
///
/// Written by hand because the simulator answers thousands of status polls a second in benchmarks, on the
/// same two cores as the client it measures, and `JSONSerialization` spent about 30 % of its CPU bridging
/// each answer to `NSDictionary` and sorting the keys with locale-aware `NSString` comparisons.
enum SimulatorJSON {
    static func text(_ value: Any) -> String {
        var out = ""
        out.reserveCapacity(128)
        write(value, to: &out)
        return out
    }

    private static func write(_ value: Any, to out: inout String) {
        switch value {
        case let object as [String: Any]:
            out.append("{")
            for (index, key) in object.keys.sorted().enumerated() {
                if index > 0 { out.append(",") }
                writeString(key, to: &out)
                out.append(":")
                write(object[key]!, to: &out)
            }
            out.append("}")
        case let array as [Any]:
            out.append("[")
            for (index, element) in array.enumerated() {
                if index > 0 { out.append(",") }
                write(element, to: &out)
            }
            out.append("]")
        case let string as String:
            writeString(string, to: &out)
        case let bool as Bool:
            out.append(bool ? "true" : "false")
        case let int as Int:
            out.append(String(int))
        case let double as Double where double.isFinite:
            out.append(double == double.rounded() && abs(double) < 1e15 ? String(Int64(double)) : String(double))
        default:
            out.append("null")
        }
    }

    private static func writeString(_ string: String, to out: inout String) {
        out.append("\"")
        if !string.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            // Most strings (ids, numbers, URLs, summaries) need no escape.
            out.append(string)
            out.append("\"")
            return
        }
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            case "\u{08}": out.append("\\b")
            case "\u{0C}": out.append("\\f")
            default:
                if scalar.value < 0x20 {
                    out.append("\\u")
                    let hex = String(scalar.value, radix: 16)
                    out.append(String(repeating: "0", count: 4 - hex.count) + hex)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out.append("\"")
    }
}
