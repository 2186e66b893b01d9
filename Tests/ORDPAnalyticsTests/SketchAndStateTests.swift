import Foundation
import ORDPAnalytics
import Testing

@Suite struct SketchAndStateTests {
  /// Values of varied magnitude and sign, deterministic.
  static func values(_ count: Int, seed: UInt64) -> [Double] {
    var state = seed
    return (0..<count).map { index in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      let unit = Double(state >> 11) / Double(1 << 53)
      switch index % 5 {
      case 0: return unit * 1000
      case 1: return -unit * 50
      case 2: return 0
      case 3: return exp(unit * 20 - 5)
      default: return 20 + unit
      }
    }
  }

  @Test func quantilesAreWithinTheRelativeErrorAndMergeExactly() {
    let data = Self.values(20_000, seed: 7)
    var whole = QuantileSketch(relativeAccuracy: 0.01)
    var left = QuantileSketch(relativeAccuracy: 0.01)
    var right = QuantileSketch(relativeAccuracy: 0.01)
    for (index, value) in data.enumerated() {
      whole.add(value)
      if index % 3 == 0 { left.add(value) } else { right.add(value) }
    }
    left.merge(right)
    #expect(left == whole)
    let sorted = data.sorted()
    for q in [0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 1] {
      let exact = sorted[Int((q * Double(sorted.count - 1)).rounded(.down))]
      let estimate = whole.quantile(q)!
      #expect(abs(estimate - exact) <= 0.01 * abs(exact) + 1e-9, "q=\(q): \(estimate) vs \(exact)")
    }
    #expect(QuantileSketch().quantile(0.5) == nil)
    var ignored = QuantileSketch()
    ignored.add(.nan)
    ignored.add(.infinity)
    #expect(ignored.count == 0)
  }

  @Test func statesMergeToTheStateOfAllTheData() {
    let data = Self.values(5_000, seed: 3)
    var whole = AggregateState()
    var parts = [AggregateState(), AggregateState(), AggregateState()]
    for (index, value) in data.enumerated() {
      let time = Int64((index * 7919) % 5_000)  // times out of order, some equal
      whole.add(time: time, value: value)
      parts[index % 3].add(time: time, value: value)
    }
    var merged = AggregateState()
    for part in parts.reversed() { merged.merge(part) }
    #expect(merged.count == whole.count)
    #expect(abs(merged.sum - whole.sum) <= 1e-6 * abs(whole.sum))
    #expect(merged.minimum == whole.minimum && merged.maximum == whole.maximum)
    #expect(merged.firstTime == whole.firstTime && merged.firstValue == whole.firstValue)
    #expect(merged.lastTime == whole.lastTime && merged.lastValue == whole.lastValue)
    #expect(merged.sketch == whole.sketch)
    let mean = data.reduce(0, +) / Double(data.count)
    let variance = data.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(data.count - 1)
    #expect(abs(merged.standardDeviation! - variance.squareRoot()) <= 1e-9 * variance.squareRoot())
    #expect(abs(whole.standardDeviation! - variance.squareRoot()) <= 1e-9 * variance.squareRoot())
    #expect(abs(merged.average! - mean) <= 1e-9 * abs(mean))
  }
}
