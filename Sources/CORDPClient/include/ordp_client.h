int ordp_placeholder(void);
