/// ISO 8601 timestamps as CKAN and DCAT sources write them, to microseconds since 1970 UTC:
/// "2024-01-31", "2024-01-31T12:34:56", with optional fraction ("…56.123456"), and optional
/// zone ("Z", "+02:00", "+0200"); no zone means UTC. A hand-written parser: Foundation's
/// formatter cost a quarter of an import's CPU. I/O-free.
public enum Timestamp {
  public static func micros(_ text: String) -> Int64? {
    var bytes = Substring(text).utf8[...]
    func number(_ digits: Int) -> Int? {
      guard bytes.count >= digits else { return nil }
      var value = 0
      for byte in bytes.prefix(digits) {
        guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
        value = value * 10 + Int(byte - UInt8(ascii: "0"))
      }
      bytes = bytes.dropFirst(digits)
      return value
    }
    func skip(_ character: Character) -> Bool {
      guard let first = bytes.first, first == character.asciiValue! else { return false }
      bytes = bytes.dropFirst()
      return true
    }
    guard let year = number(4), skip("-"), let month = number(2), skip("-"), let day = number(2),
      (1...12).contains(month), (1...days(month: month, year: year)).contains(day)
    else { return nil }
    var seconds = 0
    var fraction = 0
    var offset = 0
    if skip("T") || skip("t") || skip(" ") {
      guard let hour = number(2), skip(":"), let minute = number(2), hour < 24, minute < 60
      else { return nil }
      seconds = hour * 3600 + minute * 60
      if skip(":") {
        guard let second = number(2), second < 61 else { return nil }
        seconds += min(second, 59)
        if skip(".") || skip(",") {
          var digits = 0
          while let byte = bytes.first, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
            if digits < 6 { fraction = fraction * 10 + Int(byte - UInt8(ascii: "0")) }
            digits += 1
            bytes = bytes.dropFirst()
          }
          guard digits > 0 else { return nil }
          if digits < 6 { for _ in digits..<6 { fraction *= 10 } }
        }
      }
      if skip("Z") || skip("z") {
        offset = 0
      } else if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
        bytes = bytes.dropFirst()
        guard let hours = number(2) else { return nil }
        _ = skip(":")
        guard let minutes = number(2), hours < 24, minutes < 60 else { return nil }
        offset = (hours * 3600 + minutes * 60) * (sign == UInt8(ascii: "+") ? 1 : -1)
      }
    }
    guard bytes.isEmpty else { return nil }
    let total = daysSinceEpoch(year: year, month: month, day: day) * 86_400 + seconds - offset
    return Int64(total) * 1_000_000 + Int64(fraction)
  }

  static func days(month: Int, year: Int) -> Int {
    switch month {
    case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
    case 4, 6, 9, 11: 30
    default: 31
    }
  }

  /// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (H. Hinnant's
  /// days_from_civil).
  static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yearOfEra = y - era * 400
    let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146_097 + dayOfEra - 719_468
  }
}
