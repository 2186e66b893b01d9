public import Foundation

/// One observation read from a file.
public struct FileObservation: Sendable, Equatable {
  public var stream: String
  public var micros: Int64
  public var value: Double
  public var quality: UInt32
}

/// Which columns (CSV) or keys (JSON lines) hold an observation's parts, and how to read
/// them. Unset columns are found by their usual names, case ignored.
public struct ObservationMapping: Sendable {
  /// Every row's stream, when the file has no stream column.
  public var stream: String?
  public var streamColumn: String?
  public var timeColumn: String?
  public var valueColumn: String?
  public var qualityColumn: String?
  /// Numbers written `12,5` or `1.234,5` (German); assumed with `;` as the CSV delimiter. A
  /// number without a comma is read as written either way.
  public var decimalComma: Bool?
  public var time: TimeParser

  public init(time: TimeParser) { self.time = time }

  static let streamNames = ["datastream_id", "datastreamid", "datastream", "stream", "stream_id"]
  static let timeNames = [
    "time", "phenomenon_time", "phenomenontime", "timestamp", "time_micros", "zeit", "zeitpunkt",
    "datum",
  ]
  static let valueNames = ["value", "result", "wert", "messwert"]
  static let qualityNames = ["quality", "qualitaet", "qualität"]
}

/// The observations of a file, and the rows that held none (with why).
public struct ObservationFile: Sendable {
  public var observations: [FileObservation] = []
  /// How many rows were skipped, and the first 100 with line and reason.
  public var skippedCount = 0
  public var skipped: [(line: Int, reason: String)] = []

  public struct Unreadable: Error, CustomStringConvertible {
    public var description: String
  }

  mutating func skip(_ line: Int, _ reason: String) {
    skippedCount += 1
    if skipped.count < 100 { skipped.append((line, reason)) }
  }

  /// The observations of a CSV table.
  public init(csv table: CSVTable, mapping: ObservationMapping) throws {
    let lower = table.header.map { $0.lowercased() }
    func column(_ given: String?, _ names: [String], _ what: String, required: Bool) throws -> Int?
    {
      if let given {
        guard let index = lower.firstIndex(of: given.lowercased()) else {
          throw Unreadable(
            description:
              "no column \(given) (the header has \(table.header.joined(separator: ", ")))")
        }
        return index
      }
      if let index = lower.firstIndex(where: names.contains) { return index }
      guard !required else {
        throw Unreadable(
          description:
            "no \(what) column: name it with --\(what)-column (the header has \(table.header.joined(separator: ", ")))"
        )
      }
      return nil
    }
    let streamIndex = try column(
      mapping.streamColumn, ObservationMapping.streamNames, "stream",
      required: mapping.stream == nil)
    let timeIndex = try column(
      mapping.timeColumn, ObservationMapping.timeNames, "time", required: true)!
    let valueIndex = try column(
      mapping.valueColumn, ObservationMapping.valueNames, "value", required: true)!
    let qualityIndex = try column(
      mapping.qualityColumn, ObservationMapping.qualityNames, "quality", required: false)
    let comma = mapping.decimalComma ?? (table.delimiter == ";")
    for (line, fields) in table.rows {
      func field(_ index: Int?) -> Substring? {
        guard let index, index < fields.count else { return nil }
        return Substring(fields[index])
      }
      add(
        line: line, stream: field(streamIndex).map(String.init) ?? mapping.stream,
        time: field(timeIndex), value: field(valueIndex), quality: field(qualityIndex),
        comma: comma, mapping: mapping)
    }
  }

  /// The observations of JSON lines: one object per line, its keys named as CSV columns,
  /// values strings or numbers.
  public init(jsonLines data: Data, mapping: ObservationMapping) throws {
    let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    for (number, bytes) in lines.enumerated() {
      let line = number + 1
      guard !bytes.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) else { continue }
      guard
        let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
      else {
        skip(line, "not a JSON object")
        continue
      }
      var lower: [String: Any] = [:]
      for (key, value) in object { lower[key.lowercased()] = value }
      func value(_ given: String?, _ names: [String]) -> Substring? {
        let found =
          given.map { lower[$0.lowercased()] } ?? names.lazy.compactMap { lower[$0] }.first
        switch found {
        case let text as String: return Substring(text)
        // Integers as written (times in microseconds exceed a Double's exact range).
        case let integer as Int: return Substring("\(integer)")
        case let number as Double: return Substring("\(number)")
        default: return nil
        }
      }
      add(
        line: line,
        stream: value(mapping.streamColumn, ObservationMapping.streamNames).map(String.init)
          ?? mapping.stream,
        time: value(mapping.timeColumn, ObservationMapping.timeNames),
        value: value(mapping.valueColumn, ObservationMapping.valueNames),
        quality: value(mapping.qualityColumn, ObservationMapping.qualityNames),
        comma: mapping.decimalComma ?? false, mapping: mapping)
    }
  }

  private mutating func add(
    line: Int, stream: String?, time: Substring?, value: Substring?, quality: Substring?,
    comma: Bool, mapping: ObservationMapping
  ) {
    guard let stream, !stream.isEmpty else { return skip(line, "no stream") }
    guard let time, let micros = mapping.time.micros(time) else {
      return skip(line, "time \"\((time ?? "").prefix(40))\" is not a time")
    }
    var text = (value ?? "").trimmingCharacters(in: .whitespaces)
    if comma, text.contains(",") {
      // 1.234,5: the dots group thousands.
      text = text.replacingOccurrences(of: ".", with: "").replacingOccurrences(of: ",", with: ".")
    }
    guard let number = Double(text), number.isFinite else {
      return skip(line, "value \"\((value ?? "").prefix(40))\" is not a number")
    }
    var qualityValue: UInt32 = 0
    if let quality, !quality.trimmingCharacters(in: .whitespaces).isEmpty {
      guard let parsed = UInt32(quality.trimmingCharacters(in: .whitespaces)) else {
        return skip(line, "quality \"\(quality.prefix(40))\" is not a whole number ≥ 0")
      }
      qualityValue = parsed
    }
    observations.append(
      FileObservation(stream: stream, micros: micros, value: number, quality: qualityValue))
  }
}
