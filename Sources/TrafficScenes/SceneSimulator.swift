#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Moves the agents of a synthetic intersection frame by frame and records the ground truth.
///
/// Northbound vehicles follow the intelligent driver model (IDM) behind their leader and, when they
/// stop for the signal, behind the stop line; at amber an obeying driver stops if it can brake to
/// the line comfortably, a gambler goes on, and a runner ignores amber and red (but not the queue in
/// front of it). Truth crossings are when a vehicle's bottom edge first reaches the stop line.
public struct SceneSimulator {
    public let spec: SceneSpec
    private var random: SceneRandom
    private(set) var vehicles: [Vehicle] = []
    private(set) var pedestrians: [Pedestrian] = []
    private(set) var crossVehicles: [CrossVehicle] = []
    /// (start time, state) of each phase, in order.
    private var schedule: [(start: Double, state: String)] = []
    private var nextArrival: [Double]
    private var nextPedestrian = 0.0
    private var nextCross = 0.0
    private var vehicleCount = 0
    private var pedestrianCount = 0
    public private(set) var frame = 0
    public private(set) var truth: SceneTruth
    private var lastPhase: String?
    /// Light: a slow drift and a few passing clouds; camera shake as a bounded random walk.
    private var clouds: [(start: Double, depth: Double)] = []
    private var driftPhase: Double
    private var shake = (x: 0.0, y: 0.0)

    static let maxDeceleration = 180.0   // px/s², comfortable braking (IDM b)
    static let acceleration = 110.0      // px/s² (IDM a)
    static let headway = 0.9             // s (IDM T)
    static let jamGap = 12.0             // px (IDM s0)

    public init(spec: SceneSpec) {
        self.spec = spec
        random = SceneRandom(seed: spec.seed)
        truth = SceneTruth(seed: spec.seed, kind: spec.kind.rawValue, width: SceneLayout.width,
                           height: SceneLayout.height, fps: spec.fps, frames: spec.frameCount,
                           graceSeconds: spec.graceSeconds, vehicles: 0, pedestrians: 0, phases: [], crossings: [])
        nextArrival = []
        driftPhase = 0
        driftPhase = random.uniform(0...6.28)
        for _ in SceneLayout.lanes { nextArrival.append(random.uniform(0...3)) }
        buildSchedule()
        if spec.nuisances.lightDrift {
            var t = random.uniform(5...20)
            while t < spec.seconds {
                clouds.append((t, random.uniform(0.12...0.3)))
                t += random.uniform(12...30)
            }
        }
    }

    private mutating func buildSchedule() {
        guard spec.kind != .allGreen else {
            schedule = [(0, "green")]
            return
        }
        let order = ["green", "amber", "red"]
        var index = Int(random.next() % 3)
        var t = -random.uniform(0...8)
        while t < spec.seconds + 1 {
            let state = order[index]
            schedule.append((t, state))
            t += state == "amber" ? 3 : random.uniform(13...22)
            index = (index + 1) % 3
        }
    }

    /// The phase shown at time `t`, and when it began.
    func phase(at t: Double) -> (state: String, start: Double) {
        var current = schedule[0]
        for entry in schedule where entry.start <= t { current = entry }
        return (current.state, current.start)
    }

    /// Illumination (scene light) and exposure (camera) factors at time `t`.
    func light(at t: Double) -> (illumination: Double, exposure: Double) {
        guard spec.nuisances.lightDrift else { return (1, 1) }
        var illumination = 1 + 0.12 * sin(2 * Double.pi * t / 47 + driftPhase)
        for cloud in clouds {
            let u = t - cloud.start
            if u > 0, u < 6 { illumination *= 1 - cloud.depth * sin(Double.pi * u / 6) }
        }
        let exposure = 1 + 0.05 * sin(2 * Double.pi * t / 29 + 1.3 * driftPhase)
        return (illumination, exposure)
    }

    /// The current camera shake offset in pixels.
    var shakeOffset: (x: Int, y: Int) { (Int(shake.x.rounded()), Int(shake.y.rounded())) }

    /// Advances to the next frame (the first call produces frame 0).
    public mutating func step() {
        let t = Double(frame) / spec.fps
        let dt = 1 / spec.fps
        let (state, start) = phase(at: t)
        if state != lastPhase {
            truth.phases.append(.init(frame: frame, pts: t, state: state))
            // Drivers decide once per amber; one that went on at amber keeps going through red.
            if state == "amber" || state == "green" {
                for i in vehicles.indices { vehicles[i].stopping = nil }
            }
            lastPhase = state
        }
        if frame > 0 {
            moveVehicles(dt: dt, state: state)
            movePedestrians(dt: dt)
            moveCrossTraffic(dt: dt)
        }
        spawnVehicles(t: t)
        if spec.nuisances.pedestrians { spawnPedestrians(t: t, state: state) }
        if spec.nuisances.crossTraffic && state == "red" { spawnCrossTraffic(t: t) }
        if spec.nuisances.shake {
            shake.x = max(-2, min(2, 0.85 * shake.x + random.uniform(-0.6...0.6)))
            shake.y = max(-2, min(2, 0.85 * shake.y + random.uniform(-0.6...0.6)))
            if random.chance(0.01) { shake = (random.uniform(-2...2), random.uniform(-2...2)) }
        }
        recordCrossings(t: t, state: state, redStart: start)
        frame += 1
    }

    // MARK: vehicles

    private mutating func spawnVehicles(t: Double) {
        for lane in SceneLayout.lanes.indices where t >= nextArrival[lane] {
            let entry = Double(SceneLayout.height) + 4
            let blocked = vehicles.contains { $0.lane == lane && $0.bottom > entry - 20 }
            if blocked { continue }
            let styleRoll = random.uniform(0...1)
            let style: Vehicle.Style = styleRoll < 0.62 ? .car : styleRoll < 0.8 ? .van : styleRoll < 0.92 ? .truck
                : .motorbike
            let (width, length): (Double, Double)
            switch style {
            case .car: (width, length) = (random.uniform(50...62), random.uniform(78...96))
            case .van: (width, length) = (random.uniform(60...70), random.uniform(100...120))
            case .truck: (width, length) = (random.uniform(72...84), random.uniform(140...175))
            case .motorbike: (width, length) = (random.uniform(20...24), random.uniform(40...46))
            }
            let behaviourRoll = random.uniform(0...1)
            var behaviour: Vehicle.Behaviour
            switch spec.kind {
            case .mixed: behaviour = behaviourRoll < 0.3 ? .runner : behaviourRoll < 0.45 ? .gambler : .obey
            case .allGreen, .allStop: behaviour = .obey
            }
            // Red-light runners are those who meet an empty lane at red: make them common enough to count.
            let laneEmpty = !vehicles.contains { $0.lane == lane && !$0.crossed }
            if spec.kind == .mixed, phase(at: t).state == "red", laneEmpty, random.chance(0.6) { behaviour = .runner }
            let (lo, hi) = SceneLayout.lanes[lane]
            let centre = (lo + hi) / 2 + random.uniform(-7...7)
            let cruise = style == .truck ? random.uniform(80...130) : random.uniform(100...190)
            // Enter at cruise speed unless the vehicle ahead is slow and close.
            var speed = cruise
            if let ahead = vehicles.filter({ $0.lane == lane }).max(by: { $0.top < $1.top }) {
                let gap = entry - ahead.bottom
                if gap < 150 { speed = min(speed, ahead.speed + gap / 3) }
            }
            vehicles.append(Vehicle(id: vehicleCount, lane: lane, centreX: centre, width: width, length: length,
                                    style: style, behaviour: behaviour, body: Self.paint(&random),
                                    accent: Self.paint(&random), top: entry, speed: max(speed, 20), cruise: cruise))
            vehicleCount += 1
            truth.vehicles = vehicleCount
            nextArrival[lane] = t + max(1.0, random.exponential(mean: spec.kind == .allGreen ? 4.5 : 5.5))
        }
    }

    /// Vehicle colours: many greys and whites, some dark cars close to the road's grey, some bright.
    static func paint(_ random: inout SceneRandom) -> RGB {
        let palette: [RGB] = [
            RGB(225, 225, 222), RGB(200, 202, 205), RGB(150, 152, 155), RGB(40, 40, 44), RGB(25, 27, 30),
            RGB(120, 20, 25), RGB(30, 50, 120), RGB(20, 90, 50), RGB(210, 170, 40), RGB(110, 110, 112),
            RGB(190, 60, 30), RGB(60, 62, 66),
        ]
        let base = random.pick(palette)
        let k = random.uniform(0.9...1.1)
        return base.scaled(k)
    }

    private mutating func moveVehicles(dt: Double, state: String) {
        let order = vehicles.indices.sorted { vehicles[$0].top < vehicles[$1].top }
        var leaderOfLane: [Int: Int] = [:]
        for i in order {
            var v = vehicles[i]
            let lineY = SceneLayout.stopLineY(at: v.centreX)
            let beforeLine = v.top > lineY + 1
            var obstacle: (gap: Double, speed: Double)?
            if let leader = leaderOfLane[v.lane] {
                let l = vehicles[leader]
                obstacle = (v.top - l.bottom, l.speed)
            }
            if beforeLine && state != "green" {
                if v.stopping == nil {
                    let distance = v.top - lineY - 3
                    let needed = v.speed * v.speed / (2 * max(distance, 0.1))
                    switch v.behaviour {
                    case .runner: v.stopping = false
                    case .gambler: v.stopping = state == "red" && needed < Self.maxDeceleration * 0.8
                    case .obey: v.stopping = needed < Self.maxDeceleration * 1.3 || state == "red" && distance > 30
                    }
                }
                if v.stopping == true {
                    let gap = v.top - lineY - 3
                    if obstacle == nil || gap < obstacle!.gap { obstacle = (gap, 0) }
                }
            }
            let acceleration = Self.idm(speed: v.speed, cruise: v.cruise, obstacle: obstacle)
            v.speed = max(0, v.speed + acceleration * dt)
            v.top -= v.speed * dt
            vehicles[i] = v
            leaderOfLane[v.lane] = i
        }
        vehicles.removeAll { $0.bottom < -30 }
    }

    /// IDM acceleration towards `cruise` behind an obstacle at `gap` px moving at `speed`.
    static func idm(speed: Double, cruise: Double, obstacle: (gap: Double, speed: Double)?) -> Double {
        var a = acceleration * (1 - pow(speed / cruise, 4))
        if let obstacle {
            let closing = speed - obstacle.speed
            let desired = jamGap + max(0, speed * headway + speed * closing / (2 * (acceleration * maxDeceleration)
                .squareRoot()))
            let gap = max(obstacle.gap, 0.5)
            a -= acceleration * (desired / gap) * (desired / gap)
        }
        return max(a, -4 * maxDeceleration)
    }

    private mutating func recordCrossings(t: Double, state: String, redStart: Double) {
        for i in vehicles.indices where !vehicles[i].crossed {
            let v = vehicles[i]
            guard v.bottom <= SceneLayout.stopLineY(at: v.centreX) else { continue }
            vehicles[i].crossed = true
            let redFor = state == "red" ? t - redStart : nil
            let tolerance = 3 / spec.fps
            let violation = redFor.map { $0 >= spec.graceSeconds } ?? false
            let ambiguous = redFor.map { abs($0 - spec.graceSeconds) <= tolerance + 1e-9 } ?? false
            truth.crossings.append(.init(vehicle: v.id, frame: frame, pts: t, signal: state,
                                         redFor: redFor.map { ($0 * 1000).rounded() / 1000 }, violation: violation,
                                         ambiguous: ambiguous, box: [v.left, v.top, v.right, v.bottom], lane: v.lane))
        }
    }

    // MARK: pedestrians and cross traffic

    private mutating func spawnPedestrians(t: Double, state: String) {
        guard t >= nextPedestrian else { return }
        nextPedestrian = t + random.exponential(mean: 2.5)
        let clothing = Self.paint(&random)
        let group = random.chance(0.3) ? 2 : 1
        let crossing = state == "red" && random.chance(0.5)
        for member in 0..<group {
            let offset = Double(member) * 13
            if crossing {
                let eastward = random.chance(0.5)
                let y = random.uniform(SceneLayout.crosswalk.top + 20...SceneLayout.crosswalk.bottom) + offset * 0.2
                pedestrians.append(Pedestrian(clothing: clothing, x: eastward ? 120 - offset : 520 + offset, y: y,
                                              vx: eastward ? 38 : -38, vy: 0))
            } else {
                let leftSide = random.chance(0.5)
                let x = (leftSide ? random.uniform(110...135) : random.uniform(505...530)) + offset
                let up = random.chance(0.5)
                pedestrians.append(Pedestrian(clothing: clothing, x: x, y: up ? 390 : 40, vx: 0,
                                              vy: up ? -random.uniform(25...45) : random.uniform(25...45)))
            }
            pedestrianCount += 1
        }
        truth.pedestrians = pedestrianCount
    }

    private mutating func movePedestrians(dt: Double) {
        for i in pedestrians.indices {
            pedestrians[i].x += pedestrians[i].vx * dt
            pedestrians[i].y += pedestrians[i].vy * dt
        }
        pedestrians.removeAll { $0.x < -20 || $0.x > 660 || $0.y < 30 || $0.y > 400 }
    }

    private mutating func spawnCrossTraffic(t: Double) {
        guard t >= nextCross else { return }
        nextCross = t + random.uniform(1.5...4)
        let westward = random.chance(0.5)
        let (top, bottom) = SceneLayout.crossLanes[westward ? 0 : 1]
        let length = random.uniform(80...130)
        let speed = random.uniform(150...240)
        crossVehicles.append(CrossVehicle(top: top + 2, length: length, height: bottom - top - 4,
                                          body: Self.paint(&random), left: westward ? 660 : -20 - length,
                                          vx: westward ? -speed : speed))
    }

    private mutating func moveCrossTraffic(dt: Double) {
        for i in crossVehicles.indices { crossVehicles[i].left += crossVehicles[i].vx * dt }
        crossVehicles.removeAll { $0.left > 700 || $0.left + $0.length < -60 }
    }
}
