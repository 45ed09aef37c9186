import { RoundedBox } from '@react-three/drei';

const BEIGE = '#e4dac2';
const BEIGE_SHADE = '#d3c7aa';
const DARK = '#2d2a26';

/** The compact Macintosh's case, modelled procedurally: body, recessed bezel, floppy slot, foot. */
export function MacCase({ highlight }: { highlight: boolean }) {
  return (
    <group>
      {/* body */}
      <RoundedBox args={[2.5, 3.3, 2.6]} radius={0.12} smoothness={4} position={[0, 0, -1.3]} castShadow receiveShadow>
        <meshStandardMaterial color={BEIGE} roughness={0.85} />
      </RoundedBox>
      {/* bezel around the screen, slightly recessed */}
      <RoundedBox args={[2.12, 1.72, 0.06]} radius={0.05} smoothness={3} position={[0, 0.55, 0.0]}>
        <meshStandardMaterial color={highlight ? '#c9d9f2' : BEIGE_SHADE} roughness={0.9} />
      </RoundedBox>
      {/* the glass (behind the HTML screen) */}
      <mesh position={[0, 0.55, 0.035]}>
        <planeGeometry args={[1.86, 1.44]} />
        <meshStandardMaterial color="#0d120f" roughness={0.2} metalness={0.1} emissive={highlight ? '#1d4f91' : '#000000'} emissiveIntensity={0.4} />
      </mesh>
      {/* floppy slot and its eject notch */}
      <mesh position={[0.45, -0.78, 0.005]}>
        <boxGeometry args={[0.8, 0.05, 0.02]} />
        <meshStandardMaterial color={DARK} />
      </mesh>
      <mesh position={[0.92, -0.86, 0.005]}>
        <boxGeometry args={[0.07, 0.05, 0.02]} />
        <meshStandardMaterial color={DARK} />
      </mesh>
      {/* ridge above the foot and the apple-less badge */}
      <mesh position={[0, -1.25, 0.005]}>
        <boxGeometry args={[2.3, 0.02, 0.02]} />
        <meshStandardMaterial color={BEIGE_SHADE} />
      </mesh>
      <mesh position={[-0.85, -0.95, 0.006]}>
        <circleGeometry args={[0.06, 24]} />
        <meshStandardMaterial color="#7a6f5a" />
      </mesh>
      {/* foot */}
      <RoundedBox args={[2.4, 0.16, 2.4]} radius={0.05} smoothness={2} position={[0, -1.72, -1.3]} receiveShadow>
        <meshStandardMaterial color={BEIGE_SHADE} roughness={0.9} />
      </RoundedBox>
    </group>
  );
}
