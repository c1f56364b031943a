import Testing

@testable import CampaignKit

@Suite("Prompt template")
struct PromptTemplateTests {
    let header = ["name", "Phone", "day", "time"]

    @Test("placeholders take the row's values; defaults fill empty ones")
    func expands() throws {
        let template = try PromptTemplate("Hi [name], [day] at [time|7pm]. Call [Name]!", header: header)
        #expect(try template.expand(["Ana", "+1", "Friday", ""]).get() == "Hi Ana, Friday at 7pm. Call Ana!")
        #expect(try template.expand(["Ana", "+1", "Friday", "8pm"]).get() == "Hi Ana, Friday at 8pm. Call Ana!")
    }

    @Test("expansion is a single pass: a value holding [brackets] is inserted as it is")
    func singlePass() throws {
        let template = try PromptTemplate("Dear [name] on [day]", header: header)
        #expect(try template.expand(["[day] [time|x]", "", "Monday", ""]).get() == "Dear [day] [time|x] on Monday")
    }

    @Test("an empty value with no default names the column")
    func emptyValue() throws {
        let template = try PromptTemplate("[name] [day] [day]", header: header)
        #expect(template.expand(["Ana", "", "  ", ""]) == .failure(.init(columns: ["day"])))
    }

    @Test("an unknown placeholder names itself, its line, and the columns")
    func unknown() {
        #expect(throws: TemplateError.unknownPlaceholder(file: "p.txt", line: 2, name: "dya", available: header)) {
            _ = try PromptTemplate("Hello\nOn [dya] at [time]", header: header, file: "p.txt")
        }
        let text = TemplateError.unknownPlaceholder(file: "p.txt", line: 2, name: "dya", available: header).description
        #expect(text.contains("p.txt:2") && text.contains("[dya]") && text.contains("name, Phone, day, time"))
    }

    @Test("\\[ is a literal bracket; an unclosed or empty placeholder is an error")
    func literalsAndErrors() throws {
        #expect(
            try PromptTemplate("say \\[pause] to [name]", header: header).expand(["Bo", "", "", ""]).get()
                == "say [pause] to Bo")
        #expect(throws: TemplateError.unclosedPlaceholder(file: "prompt", line: 1)) {
            _ = try PromptTemplate("hi [name", header: header)
        }
        #expect(throws: TemplateError.emptyPlaceholder(file: "prompt", line: 1)) {
            _ = try PromptTemplate("hi []", header: header)
        }
    }

    @Test("usedColumns lists each column once, in first-use order")
    func usedColumns() throws {
        #expect(try PromptTemplate("[time] [name] [time|x]", header: header).usedColumns == [3, 0])
    }

    @Test(
        "a value is blank when it is empty or only whitespace, ASCII or not",
        arguments: [
            ("", true), (" ", true), ("\t\r\n", true), ("\u{0B}\u{0C}", true), ("\u{A0}", true), (" \u{2003} ", true),
            ("a", false), (" a ", false), ("\u{1F}", false), ("\u{2003}x", false), ("é", false), ("x\u{A0}", false),
        ])
    func blankValues(text: String, blank: Bool) {
        #expect(text.isBlank == blank)
        #expect(text.isBlank == text.allSatisfy(\.isWhitespace))
    }
}
