public import Foundation

/// A CSV file's header and rows (RFC 4180: quoted fields with doubled quotes and line breaks,
/// CRLF or LF, a UTF-8 byte-order mark ignored). The delimiter is `,` or, as German
/// spreadsheets write, `;` — taken from the header line when not given.
public struct CSVTable: Sendable, Equatable {
  public var header: [String]
  /// Each row's fields with its line number (1-based, the header is line 1).
  public var rows: [(line: Int, fields: [String])]
  public var delimiter: Character

  public static func == (a: CSVTable, b: CSVTable) -> Bool {
    a.header == b.header && a.delimiter == b.delimiter && a.rows.count == b.rows.count
      && zip(a.rows, b.rows).allSatisfy { $0.line == $1.line && $0.fields == $1.fields }
  }

  public struct Malformed: Error, CustomStringConvertible {
    public var description: String
  }

  public init(_ data: Data, delimiter: Character? = nil) throws {
    var text = String(decoding: data, as: UTF8.self)
    if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
    let firstLine = text.prefix { $0 != "\n" && $0 != "\r\n" }
    let chosen =
      delimiter
      ?? (firstLine.filter { $0 == ";" }.count > firstLine.filter { $0 == "," }.count
        ? ";" : ",")
    self.delimiter = chosen
    var records: [(Int, [String])] = []
    var fields: [String] = []
    var field = ""
    var quoted = false
    var line = 1
    var recordLine = 1
    var iterator = text.makeIterator()
    var pending: Character? = nil
    func endRecord() {
      fields.append(field)
      field = ""
      if !(fields.count == 1 && fields[0].isEmpty) { records.append((recordLine, fields)) }
      fields = []
    }
    while let character = pending ?? iterator.next() {
      pending = nil
      if quoted {
        if character == "\"" {
          if let next = iterator.next() {
            if next == "\"" {
              field.append("\"")
            } else {
              quoted = false
              pending = next
            }
          } else {
            quoted = false
          }
        } else {
          if character == "\n" || character == "\r\n" { line += 1 }
          field.append(character)
        }
        continue
      }
      switch character {
      case "\"" where field.isEmpty: quoted = true
      case chosen:
        fields.append(field)
        field = ""
      case "\n", "\r\n", "\r":
        endRecord()
        line += 1
        recordLine = line
      default: field.append(character)
      }
    }
    if quoted { throw Malformed(description: "line \(recordLine): a quoted field never ends") }
    if !field.isEmpty || !fields.isEmpty { endRecord() }
    guard let first = records.first else { throw Malformed(description: "no header line") }
    header = first.1.map { $0.trimmingCharacters(in: .whitespaces) }
    rows = records.dropFirst().map { (line: $0.0, fields: $0.1) }
  }
}
