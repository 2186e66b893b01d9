public import Foundation

/// Phenomenon times as files write them, to microseconds since 1970: ISO 8601 with or without
/// offset (`2026-12-06T10:15:00+01:00`, `2026-12-06 10:15`, fractions of a second), German
/// dates (`06.12.2026 10:15[:30]`), or Unix time in seconds, milliseconds or microseconds.
/// Times without an offset are wall-clock times in `timeZone`: a time in the hour skipped in
/// spring comes out an hour later, one in the hour repeated in autumn as one of its two
/// instants (files that need the other give the offset).
public struct TimeParser: Sendable {
  public enum Format: String, Sendable, CaseIterable {
    /// ISO 8601 or German dates, or Unix time by its size (seconds before 10^11,
    /// milliseconds before 10^14, microseconds after).
    case auto
    case iso8601
    case unix
    case unixMilliseconds = "unix-ms"
    case unixMicroseconds = "unix-us"
  }

  public let format: Format
  public let timeZone: TimeZone

  public init(format: Format = .auto, timeZone: TimeZone) {
    self.format = format
    self.timeZone = timeZone
  }

  /// The instant `text` names, nil when it names none.
  public func micros(_ text: Substring) -> Int64? {
    let text = text.trimmingCharacters(in: .whitespaces)
    switch format {
    case .unix: return Self.number(text, scale: 1_000_000)
    case .unixMilliseconds: return Self.number(text, scale: 1000)
    case .unixMicroseconds: return Self.number(text, scale: 1)
    case .iso8601: return calendarTime(text)
    case .auto:
      if let value = Double(text), value.isFinite {
        let magnitude = abs(value)
        let scale: Double = magnitude < 1e11 ? 1_000_000 : magnitude < 1e14 ? 1000 : 1
        return Self.exact(value * scale)
      }
      return calendarTime(text)
    }
  }

  static func number(_ text: String, scale: Double) -> Int64? {
    guard let value = Double(text), value.isFinite else { return nil }
    return exact(value * scale)
  }

  static func exact(_ value: Double) -> Int64? {
    guard value.isFinite, abs(value) < 9e18 else { return nil }
    return Int64(value.rounded())
  }

  /// `YYYY-MM-DD[T ]HH:MM[:SS[.f…]][Z|±HH[:]MM]` or `DD.MM.YYYY[ HH:MM[:SS]]`.
  func calendarTime(_ text: String) -> Int64? {
    var scanner = Scanner(Array(text.utf8))
    let year: Int
    let month: Int
    let day: Int
    if let first = scanner.digits(), scanner.take(UInt8(ascii: ".")) {
      // German: DD.MM.YYYY
      guard first.count <= 2, let m = scanner.digits(), m.count <= 2,
        scanner.take(UInt8(ascii: ".")), let y = scanner.digits(), y.count == 4
      else { return nil }
      (day, month, year) = (first.value, m.value, y.value)
    } else {
      scanner = Scanner(Array(text.utf8))
      guard let y = scanner.digits(), y.count == 4, scanner.take(UInt8(ascii: "-")),
        let m = scanner.digits(), m.count == 2, scanner.take(UInt8(ascii: "-")),
        let d = scanner.digits(), d.count == 2
      else { return nil }
      (year, month, day) = (y.value, m.value, d.value)
    }
    var hour = 0
    var minute = 0
    var second = 0
    var fraction: Int64 = 0
    if scanner.take(UInt8(ascii: "T")) || scanner.take(UInt8(ascii: " ")) {
      guard let h = scanner.digits(), h.count <= 2, scanner.take(UInt8(ascii: ":")),
        let mi = scanner.digits(), mi.count == 2
      else { return nil }
      (hour, minute) = (h.value, mi.value)
      if scanner.take(UInt8(ascii: ":")) {
        guard let s = scanner.digits(), s.count == 2 else { return nil }
        second = s.value
        if scanner.take(UInt8(ascii: ".")) || scanner.take(UInt8(ascii: ",")) {
          guard let f = scanner.digits(), f.count <= 9 else { return nil }
          var micros = Int64(f.value)
          for _ in f.count..<6 { micros *= 10 }
          for _ in 6..<max(6, f.count) { micros /= 10 }
          fraction = micros
        }
      }
    }
    guard (1...12).contains(month), (1...31).contains(day), (0...23).contains(hour),
      (0...59).contains(minute), (0...60).contains(second), (1...9999).contains(year)
    else { return nil }
    var offset: Int?
    if scanner.take(UInt8(ascii: "Z")) {
      offset = 0
    } else if let sign = scanner.peek, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
      scanner.index += 1
      guard let h = scanner.digits(), h.count == 2 || h.count == 4 else { return nil }
      var minutes = 0
      var hours = h.value
      if h.count == 4 {
        (hours, minutes) = (h.value / 100, h.value % 100)
      } else if scanner.take(UInt8(ascii: ":")) {
        guard let mi = scanner.digits(), mi.count == 2 else { return nil }
        minutes = mi.value
      }
      guard hours <= 18, minutes < 60 else { return nil }
      offset = (sign == UInt8(ascii: "-") ? -1 : 1) * (hours * 3600 + minutes * 60)
    }
    guard scanner.atEnd else { return nil }
    // A day that does not exist (31 April, 29 February 2026) is refused, not moved.
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    let monthDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    guard day <= monthDays[month - 1] else { return nil }
    let days = Self.days(year: year, month: month, day: day)
    let local = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    let utc: Int64
    if let offset {
      utc = local - Int64(offset)
    } else {
      // The offset at the local time read as UTC, then at the instant that gives.
      func offset(at seconds: Int64) -> Int64 {
        Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(seconds))))
      }
      utc = local - offset(at: local - offset(at: local))
    }
    return utc * 1_000_000 + fraction
  }

  /// Days since 1970-01-01 of a date in the proleptic Gregorian calendar.
  static func days(year: Int, month: Int, day: Int) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yearOfEra = y - era * 400
    let monthIndex = (month + 9) % 12
    let dayOfYear = (153 * monthIndex + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146_097 + dayOfEra - 719_468
  }

  struct Scanner {
    let bytes: [UInt8]
    var index = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    var atEnd: Bool { index == bytes.count }
    var peek: UInt8? { index < bytes.count ? bytes[index] : nil }
    mutating func take(_ byte: UInt8) -> Bool {
      guard peek == byte else { return false }
      index += 1
      return true
    }
    /// A run of up to 9 digits, with its length.
    mutating func digits() -> (value: Int, count: Int)? {
      var value = 0
      var count = 0
      while let byte = peek, byte >= 48, byte <= 57, count < 9 {
        value = value * 10 + Int(byte - 48)
        count += 1
        index += 1
      }
      return count == 0 ? nil : (value, count)
    }
  }
}
