/// The mergeable state of one aggregate (one group, one bucket): everything count, sum, min,
/// max, avg, first, last, stddev and the quantiles need. Partitions' states merge into exactly
/// the state one instance holding all the data would have (quantiles within the sketch's
/// relative error; first/last by phenomenon time, ties broken by the larger value so that the
/// merge does not depend on order). I/O-free.
public struct AggregateState: Sendable, Equatable {
  public var count: UInt64 = 0
  public var sum: Double = 0
  public var minimum: Double = .infinity
  public var maximum: Double = -.infinity
  /// Running mean and sum of squared deviations (Welford; merged with Chan et al.).
  public var mean: Double = 0
  public var m2: Double = 0
  public var firstTime: Int64 = .max
  public var firstValue: Double = 0
  public var lastTime: Int64 = .min
  public var lastValue: Double = 0
  public var sketch: QuantileSketch
  /// Whether the sketch is kept: a query that asks for no quantile (and no partial state)
  /// leaves it empty and spends no memory on it.
  public var tracksQuantiles = true

  public init(relativeAccuracy: Double = 0.01, tracksQuantiles: Bool = true) {
    sketch = QuantileSketch(relativeAccuracy: relativeAccuracy)
    self.tracksQuantiles = tracksQuantiles
  }

  public mutating func add(time: Int64, value: Double) {
    count += 1
    sum += value
    minimum = Swift.min(minimum, value)
    maximum = Swift.max(maximum, value)
    let delta = value - mean
    mean += delta / Double(count)
    m2 += delta * (value - mean)
    if time < firstTime || (time == firstTime && value > firstValue) {
      (firstTime, firstValue) = (time, value)
    }
    if time > lastTime || (time == lastTime && value > lastValue) {
      (lastTime, lastValue) = (time, value)
    }
    if tracksQuantiles { sketch.add(value) }
  }

  public mutating func merge(_ other: AggregateState) {
    guard other.count > 0 else { return }
    guard count > 0 else {
      let tracks = tracksQuantiles
      self = other
      if !tracks {
        tracksQuantiles = false
        sketch = QuantileSketch(relativeAccuracy: sketch.relativeAccuracy)
      }
      return
    }
    let total = Double(count + other.count)
    let delta = other.mean - mean
    m2 += other.m2 + delta * delta * Double(count) * Double(other.count) / total
    mean += delta * Double(other.count) / total
    count += other.count
    sum += other.sum
    minimum = Swift.min(minimum, other.minimum)
    maximum = Swift.max(maximum, other.maximum)
    if other.firstTime < firstTime
      || (other.firstTime == firstTime && other.firstValue > firstValue)
    {
      (firstTime, firstValue) = (other.firstTime, other.firstValue)
    }
    if other.lastTime > lastTime || (other.lastTime == lastTime && other.lastValue > lastValue) {
      (lastTime, lastValue) = (other.lastTime, other.lastValue)
    }
    if tracksQuantiles { sketch.merge(other.sketch) }
  }

  public var average: Double? { count > 0 ? sum / Double(count) : nil }

  /// Sample standard deviation (n − 1); nil below two values.
  public var standardDeviation: Double? {
    count > 1 ? (Swift.max(0, m2) / Double(count - 1)).squareRoot() : nil
  }
}
