import ORDPAnalytics
import ORDPAnalyticsAPI
import Testing

@Suite struct IngestValidatorTests {
  let now: Int64 = 1_790_000_000_000_000

  func series(
    _ id: String, _ times: [Int64], _ results: [Double], qualities: [UInt32] = []
  ) -> Ordp_Analytics_V1_Series {
    var series = Ordp_Analytics_V1_Series()
    series.datastreamID = id
    series.timesMicros = times
    series.results = results
    series.qualities = qualities
    return series
  }

  @Test func everyItemIsCountedOnceAndBadItemsDropNothingElse() {
    var batch = Ordp_Analytics_V1_IngestBatch()
    let t = now - 60_000_000
    batch.series = [
      series(
        "a", [t, t + 1, t + 2, t + 1, t + 3], [1, .nan, 3, 4, .infinity],
        qualities: [1, 2, 3, 4, 5]),
      series("unknown", [t, t + 1], [1, 2]),
      series("other-town", [t], [1]),
      series("b", [t, t + 1], [1]),  // malformed
      series("b", [now + 2 * 86_400_000_000, now - 30 * 366 * 86_400_000_000, t], [1, 2, 3]),
      series("a", [t + 2, t + 9], [7, 8]),  // t + 2 again: a duplicate within the batch
    ]
    let outcome = IngestValidator().validate(batch, now: now) { id in
      switch id {
      case "a", "b": .writable
      case "other-town": .notPermitted
      default: .unknown
      }
    }
    #expect(outcome.acceptedCount == 5)
    // t + 1 first came with NaN (rejected): the later valid t + 1 is stored, not a duplicate.
    #expect(outcome.duplicates == 1)
    #expect(outcome.rejected == 2 + 2 + 1 + 2 + 2)
    // Every item once; the malformed series counts its longer column.
    #expect(outcome.acceptedCount + outcome.duplicates + outcome.rejected == 15)
    #expect(
      outcome.accepted == [
        .init(
          datastreamID: "a", times: [t, t + 2, t + 1, t + 9], results: [1, 3, 4, 8],
          qualities: [1, 3, 4, 0]),
        .init(datastreamID: "b", seriesIndex: 4, times: [t], results: [3], qualities: [0]),
      ])
    let reasons = outcome.rejections.map { "\($0.seriesIndex).\($0.itemIndex) \($0.reason)" }
    #expect(
      reasons == [
        "0.1 nonFinite", "0.4 nonFinite", "1.0 unknownStream", "2.0 notPermitted", "3.0 malformed",
        "4.0 outOfWindow", "4.1 outOfWindow",
      ])
  }

  @Test func rejectionReasonsAreCappedButCounted() {
    var batch = Ordp_Analytics_V1_IngestBatch()
    batch.series = [
      series("a", Array(0..<500).map { now - $0 }, Array(repeating: .nan, count: 500))
    ]
    let outcome = IngestValidator().validate(batch, now: now) { _ in .writable }
    #expect(outcome.rejected == 500 && outcome.rejections.count == 100)
    #expect(outcome.accepted.isEmpty)
  }
}
