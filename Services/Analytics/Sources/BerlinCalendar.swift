/// Time buckets for aggregates. Fixed widths (1 minute up to 31 days, whole minutes) are
/// aligned to the Unix epoch in UTC — which for minutes and hours is also Berlin's wall clock,
/// its offsets being whole hours. Days, weeks (Monday first, ISO 8601), months and years follow
/// the calendar in Europe/Berlin: a summer-time day is 23 or 25 hours long. I/O-free.
public enum BucketWidth: Sendable, Equatable, Hashable {
  case fixed(seconds: Int64)
  case day
  case week
  case month
  case year

  /// The fixed widths a query may ask for.
  public static let fixedRange: ClosedRange<Int64> = 60...(31 * 86_400)
}

/// Europe/Berlin: CET (UTC+1), and CEST (UTC+2) from the last Sunday of March 01:00 UTC to the
/// last Sunday of October 01:00 UTC (EU rule, since 1996; 1981–1995 it ended on the last Sunday
/// of September). Years before 1981 are taken as CET throughout.
public enum BerlinCalendar {
  static let microsPerSecond: Int64 = 1_000_000

  /// Berlin's offset from UTC, in seconds, at a UTC instant (seconds since 1970).
  public static func offset(atUTC seconds: Int64) -> Int64 {
    let (year, _, _) = civil(days: floorDivide(seconds, 86_400))
    guard year >= 1981 else { return 3600 }
    let start = (lastSunday(year: year, month: 3) * 86_400) + 3600
    let end = (lastSunday(year: year, month: year >= 1996 ? 10 : 9) * 86_400) + 3600
    return seconds >= start && seconds < end ? 7200 : 3600
  }

  /// The UTC instant of a Berlin wall-clock time that exists and is unambiguous (as every
  /// midnight is), both in seconds since 1970.
  static func utc(fromLocal local: Int64) -> Int64 {
    let guess = local - offset(atUTC: local - 3600)
    return local - offset(atUTC: guess)
  }

  /// The bucket holding `time` (microseconds since 1970 UTC): its start and the next one's.
  public static func bucket(
    containing time: Int64, width: BucketWidth
  ) -> (
    start: Int64, end: Int64
  ) {
    let seconds = floorDivide(time, microsPerSecond)
    switch width {
    case .fixed(let length):
      let start = floorDivide(seconds, length) * length
      return (start * microsPerSecond, (start + length) * microsPerSecond)
    case .day, .week, .month, .year:
      let local = seconds + offset(atUTC: seconds)
      let days = floorDivide(local, 86_400)
      let (startDay, endDay): (Int64, Int64)
      switch width {
      case .day: (startDay, endDay) = (days, days + 1)
      case .week:
        let monday = days - floorModulo(days + 3, 7)  // 1970-01-01 was a Thursday
        (startDay, endDay) = (monday, monday + 7)
      case .month:
        let (year, month, _) = civil(days: days)
        let next = month == 12 ? (year + 1, 1) : (year, month + 1)
        (startDay, endDay) = (
          self.days(year: year, month: month, day: 1),
          self.days(year: next.0, month: next.1, day: 1)
        )
      default:
        let (year, _, _) = civil(days: days)
        (startDay, endDay) = (
          self.days(year: year, month: 1, day: 1), self.days(year: year + 1, month: 1, day: 1)
        )
      }
      return (
        utc(fromLocal: startDay * 86_400) * microsPerSecond,
        utc(fromLocal: endDay * 86_400) * microsPerSecond
      )
    }
  }

  /// The day (since 1970-01-01) of the last Sunday of a month.
  static func lastSunday(year: Int64, month: Int64) -> Int64 {
    let next = month == 12 ? (year + 1, Int64(1)) : (year, month + 1)
    let last = days(year: next.0, month: next.1, day: 1) - 1
    return last - floorModulo(last + 4, 7)  // 1970-01-01 (day 0) was a Thursday: +4 → Sunday 0
  }

  /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
  static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
    let y = month <= 2 ? year - 1 : year
    let era = floorDivide(y, 400)
    let yearOfEra = y - era * 400
    let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146_097 + dayOfEra - 719_468
  }

  /// The date of a day since 1970-01-01 (H. Hinnant's civil_from_days).
  static func civil(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
    let z = days + 719_468
    let era = floorDivide(z, 146_097)
    let dayOfEra = z - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let mp = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
  }

  static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
    let quotient = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient
  }

  static func floorModulo(_ a: Int64, _ b: Int64) -> Int64 { a - floorDivide(a, b) * b }
}
