import Foundation
import ORDPObservationFiles
import Testing

/// Reading observations from the files integrators have: CSV (also as German spreadsheets
/// write it) and JSON lines, times in every usual form.
@Suite struct ObservationFileTests {
  static let berlin = TimeParser(timeZone: TimeZone(identifier: "Europe/Berlin")!)

  @Test func csvFieldsQuotesLineBreaksAndDelimiters() throws {
    let text =
      "\u{FEFF}Zeit;Wert;Notiz\r\n06.12.2026 10:15;12,5;\"a;b\"\r\n"
      + "06.12.2026 10:20;\"1.234,5\";\"zwei\nZeilen mit \"\"Zitat\"\"\"\r\n\r\n"
    let table = try CSVTable(Data(text.utf8))
    #expect(table.delimiter == ";" && table.header == ["Zeit", "Wert", "Notiz"])
    #expect(table.rows.map(\.line) == [2, 3])
    #expect(table.rows[0].fields == ["06.12.2026 10:15", "12,5", "a;b"])
    #expect(table.rows[1].fields == ["06.12.2026 10:20", "1.234,5", "zwei\nZeilen mit \"Zitat\""])
    let commas = try CSVTable(Data("time,value\n1,2\n".utf8))
    #expect(commas.delimiter == "," && commas.rows.map(\.fields) == [["1", "2"]])
    #expect(throws: CSVTable.Malformed.self) { try CSVTable(Data("a,b\n\"open,2\n".utf8)) }
    #expect(throws: CSVTable.Malformed.self) { try CSVTable(Data()) }
  }

  @Test func timesInEveryUsualForm() {
    func at(_ text: String, _ parser: TimeParser = Self.berlin) -> Int64? {
      parser.micros(text[...])
    }
    let winter: Int64 = 1_796_548_500_000_000  // 2026-12-06T09:15:00Z
    #expect(at("2026-12-06T09:15:00Z") == winter)
    #expect(at("2026-12-06T10:15:00+01:00") == winter)
    #expect(at("2026-12-06T10:15:00+0100") == winter)
    #expect(at("2026-12-06T10:15:00.25+01:00") == winter + 250_000)
    #expect(at("2026-12-06 10:15") == winter)  // Berlin wall-clock time in winter: UTC+1
    #expect(at("06.12.2026 10:15:00") == winter)
    #expect(at("2026-07-06 10:15") == 1_783_325_700_000_000)  // summer: UTC+2
    #expect(at("1796548500") == winter)
    #expect(at("1796548500000") == winter)
    #expect(at("1796548500000000") == winter)
    #expect(
      at("1796548500", TimeParser(format: .unixMilliseconds, timeZone: .gmt)) == 1_796_548_500_000)
    #expect(at("2026-12-06 10:15", TimeParser(timeZone: .gmt)) == winter + 3_600_000_000)
    for bad in [
      "2026-02-29 10:00", "31.04.2026", "2026-12-06 25:00", "2026-12-06T10:15:00+1", "heute",
      "2026-12-06T10:15:00Zjunk", "", "nan", "1e400",
    ] {
      #expect(at(bad) == nil, "\(bad)")
    }
    #expect(at("29.02.2028") != nil)  // a leap year
  }

  @Test func rowsBecomeObservationsOrAreSkippedWithAReason() throws {
    var mapping = ObservationMapping(time: Self.berlin)
    mapping.stream = "demo-soest-water-level"
    let csv = """
      Zeit;Wert;Qualität
      06.12.2026 10:15;12,5;
      06.12.2026 10:20;1.234,5;3
      06.12.2026 10:25;13.5;
      morgen;1;
      06.12.2026 10:30;viel;
      06.12.2026 10:35;1;-2
      """
    let file = try ObservationFile(csv: try CSVTable(Data(csv.utf8)), mapping: mapping)
    #expect(file.observations.map(\.value) == [12.5, 1234.5, 13.5])
    #expect(file.observations.map(\.quality) == [0, 3, 0])
    #expect(file.observations.allSatisfy { $0.stream == "demo-soest-water-level" })
    #expect(file.skipped.map(\.line) == [5, 6, 7] && file.skippedCount == 3)
    #expect(file.skipped[0].reason.contains("is not a time"))
    #expect(file.skipped[1].reason.contains("is not a number"))
    #expect(file.skipped[2].reason.contains("quality"))
    // No value column under any usual name: the header is named in the error.
    #expect(throws: ObservationFile.Unreadable.self) {
      try ObservationFile(csv: try CSVTable(Data("zeit,messung\n1,2\n".utf8)), mapping: mapping)
    }
    // JSON lines: numbers or strings, the stream per line.
    let lines = """
      {"datastream_id": "a", "time": 1796548500000000, "value": 1.5}
      {"stream": "b", "timestamp": "2026-12-06T10:15:00+01:00", "result": "2", "quality": 1}

      not json
      {"time": 1796548500000000, "value": 3}
      """
    let json = try ObservationFile(
      jsonLines: Data(lines.utf8), mapping: ObservationMapping(time: Self.berlin))
    #expect(json.observations.map(\.stream) == ["a", "b"])
    #expect(json.observations.map(\.micros) == [1_796_548_500_000_000, 1_796_548_500_000_000])
    #expect(json.observations.map(\.quality) == [0, 1])
    #expect(json.skipped.map(\.line) == [4, 5])
  }
}
