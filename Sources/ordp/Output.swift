import ArgumentParser
import Foundation

/// A row of what a command lists: its columns' names and values, and JSON (`Encodable`).
protocol TableRow: Encodable {
  static var columns: [String] { get }
  var values: [String] { get }
}

/// `--output`: how a command prints what it lists.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
  /// Aligned columns for people.
  case table
  /// One JSON array of objects.
  case json
  /// RFC 4180 CSV with a header line.
  case csv

  func render<Row: TableRow>(_ rows: [Row]) -> String {
    switch self {
    case .json: Self.json(rows)
    case .csv, .table: text(columns: Row.columns, rows: rows.map(\.values))
    }
  }

  /// Rows whose columns are known only when the command runs (JSON: objects by column).
  func render(columns: [String], rows: [[String]]) -> String {
    switch self {
    case .json: Self.json(rows.map { DynamicRow(names: columns, values: $0) })
    case .csv, .table: text(columns: columns, rows: rows)
    }
  }

  static func json(_ value: some Encodable, pretty: Bool = true) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting =
      pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.withoutEscapingSlashes]
    return (try? encoder.encode(value)).flatMap { String(data: $0, encoding: .utf8) } ?? "[]"
  }

  private func text(columns: [String], rows: [[String]]) -> String {
    let lines = [columns] + rows
    if self == .csv {
      return lines.map { $0.map(Self.csvField).joined(separator: ",") }.joined(separator: "\r\n")
    }
    let widths = columns.indices.map { column in
      lines.map { column < $0.count ? min(60, $0[column].count) : 0 }.max() ?? 0
    }
    return lines.map { line in
      zip(line, widths).map { value, width in
        let cut = value.count > width ? String(value.prefix(width - 1)) + "…" : value
        return cut.padding(toLength: width, withPad: " ", startingAt: 0)
      }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }.joined(separator: "\n")
  }

  static func csvField(_ value: String) -> String {
    guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else {
      return value
    }
    return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }
}

/// A progress bar on standard error while a long command works — only when standard error
/// is a terminal (never in logs or pipes).
final class Progress {
  let total: Int
  let enabled: Bool
  private var done = 0
  private var shown = -1

  init(total: Int, enabled: Bool) {
    self.total = total
    self.enabled = enabled && total > 0 && isatty(2) == 1
  }

  func advance(by count: Int) {
    done += count
    guard enabled else { return }
    let width = 40
    let filled = min(width, done * width / max(1, total))
    guard filled != shown || done >= total else { return }
    shown = filled
    let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
    FileHandle.standardError.write(Data("\r[\(bar)] \(done)/\(total)".utf8))
  }

  func finish() {
    guard enabled, shown >= 0 else { return }
    FileHandle.standardError.write(Data("\n".utf8))
    shown = -1
  }
}

/// A JSON object of named values, in the columns' order.
struct DynamicRow: Encodable {
  var names: [String]
  var values: [String]

  func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: Key.self)
    for (name, value) in zip(names, values) {
      try container.encode(value, forKey: Key(stringValue: name))
    }
  }

  struct Key: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
  }
}

/// Writes `data` to standard output at once (no buffering). When the reader has gone (`ordp
/// datasets export | head`), the command ends quietly with exit code 0 instead of trapping
/// on the broken pipe.
func writeOut(_ data: Data) throws {
  do {
    try FileHandle.standardOutput.write(contentsOf: data)
  } catch {
    throw ExitCode.success
  }
}
