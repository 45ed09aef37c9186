import { AnimatePresence, motion } from 'framer-motion';
import { useEffect, useState } from 'react';

/** The classic boot: a smiling Mac on grey, then the app. Skipped with reduced motion. */
export function BootOverlay({ skip }: { skip: boolean }) {
  const [booting, setBooting] = useState(!skip);
  useEffect(() => {
    if (!booting) return;
    const t = setTimeout(() => setBooting(false), 1400);
    return () => clearTimeout(t);
  }, [booting]);
  return (
    <AnimatePresence>
      {booting && (
        <motion.div
          className="boot"
          aria-hidden="true"
          initial={{ opacity: 1 }}
          exit={{ opacity: 0 }}
          transition={{ duration: 0.4 }}
        >
          <motion.div className="happy-mac" initial={{ scale: 0.6, opacity: 0 }} animate={{ scale: 1, opacity: 1 }} transition={{ duration: 0.5 }}>
            <span>:)</span>
          </motion.div>
          <motion.p initial={{ opacity: 0 }} animate={{ opacity: 1 }} transition={{ delay: 0.5 }}>
            Welcome to vibe-opsy
          </motion.p>
        </motion.div>
      )}
    </AnimatePresence>
  );
}
