import Foundation
import ORDPAnalytics
import Testing

/// Berlin's calendar against Foundation's time-zone database as the independent reference.
@Suite struct BerlinCalendarTests {
  let berlin = TimeZone(identifier: "Europe/Berlin")!

  var calendar: Calendar {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = berlin
    calendar.firstWeekday = 2
    calendar.minimumDaysInFirstWeek = 4
    return calendar
  }

  @Test func offsetsMatchTheTimeZoneDatabase() {
    var seconds: Int64 = 362_000_000  // 1981-06-22
    while seconds < 2_240_000_000 {  // 2040
      let expected = berlin.secondsFromGMT(for: Date(timeIntervalSince1970: Double(seconds)))
      #expect(BerlinCalendar.offset(atUTC: seconds) == Int64(expected), "at \(seconds)")
      seconds += 3_593 * 7 + 11  // every ~7 hours, drifting through the hours of the day
    }
    // The switches of 2024: 31 March 01:00 UTC and 27 October 01:00 UTC.
    #expect(BerlinCalendar.offset(atUTC: 1_711_846_799) == 3600)
    #expect(BerlinCalendar.offset(atUTC: 1_711_846_800) == 7200)
    #expect(BerlinCalendar.offset(atUTC: 1_729_990_799) == 7200)
    #expect(BerlinCalendar.offset(atUTC: 1_729_990_800) == 3600)
  }

  @Test func calendarBucketsMatchTheTimeZoneDatabase() {
    var seconds: Int64 = 1_600_000_000
    while seconds < 1_900_000_000 {
      let date = Date(timeIntervalSince1970: Double(seconds))
      for (width, component) in [
        (BucketWidth.day, Calendar.Component.day), (.week, .weekOfYear), (.month, .month),
        (.year, .year),
      ] {
        let interval = calendar.dateInterval(of: component, for: date)!
        let bucket = BerlinCalendar.bucket(containing: seconds * 1_000_000, width: width)
        #expect(bucket.start == Int64(interval.start.timeIntervalSince1970) * 1_000_000)
        #expect(bucket.end == Int64(interval.end.timeIntervalSince1970) * 1_000_000)
      }
      seconds += 86_400 * 3 + 3_607
    }
    // Summer-time days are 23 and 25 hours long.
    let march = BerlinCalendar.bucket(containing: 1_711_870_000_000_000, width: .day)
    #expect(march.end - march.start == 23 * 3_600_000_000)
    let october = BerlinCalendar.bucket(containing: 1_730_000_000_000_000, width: .day)
    #expect(october.end - october.start == 25 * 3_600_000_000)
  }

  @Test func fixedBucketsAreAlignedToTheEpoch() {
    let bucket = BerlinCalendar.bucket(
      containing: 1_700_000_123_456_789, width: .fixed(seconds: 900))
    #expect(bucket.start == 1_700_000_100_000_000 && bucket.end == 1_700_001_000_000_000)
    let before = BerlinCalendar.bucket(containing: -1, width: .fixed(seconds: 60))
    #expect(before.start == -60_000_000 && before.end == 0)
  }
}
